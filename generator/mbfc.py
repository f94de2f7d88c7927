"""Media Bias/Fact Check export → Parallax outlet entries.

The mapping is the one in shared/data/mbfc/README.md: MBFC's left/right scale maps
onto ours; biases off the political scale (pro-science, conspiracy, satire,
fake-news) leave an outlet unrated for bias; reporting maps one to one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

RATED_BY = "Media Bias/Fact Check"

BIAS = {
    "left": "left",
    "left-center": "lean-left",
    "center": "center",
    "right-center": "lean-right",
    "right": "right",
}
FACTUALITY = {"very-high", "high", "mostly-factual", "mixed", "low", "very-low"}


def read_export(path: Path) -> dict[str, Any]:
    """The whole export as parsed JSON."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def export_date(export: dict[str, Any]) -> str:
    """The export's date (YYYY-MM-DD), used as `rated_on`."""
    return str(export["date"])[:10]


def outlet_key(domain: str) -> str:
    """A registry key from a domain: `www.nytimes.com` → `nytimes-com`."""
    domain = domain.lower().removeprefix("www.")
    key = re.sub(r"[^a-z0-9]+", "-", domain).strip("-")
    return key[:64] or "outlet"


def outlet_entry(record: dict[str, Any], rated_on: str) -> dict[str, Any]:
    """One registry entry (a plain mapping, ready for YAML) from one MBFC record."""
    entry: dict[str, Any] = {"name": str(record["name"])[:120] or record["domain"]}
    entry["url"] = f"https://{record['domain']}"
    bias = BIAS.get(record.get("bias") or "")
    if bias:
        entry["bias"] = bias
    factuality = record.get("reporting")
    if factuality in FACTUALITY:
        entry["factuality"] = factuality
    entry["rated_by"] = RATED_BY
    entry["rated_on"] = rated_on
    return entry
