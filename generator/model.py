"""The vocabulary: typed models of outlets and stories (content-format.md §1).

Raw YAML becomes these types once, at the door (`load`); everything after reads
typed values. Per-field rules live on the fields so that the JSON Schema editors
use is generated from the same source. Rules that relate several fields (citations
in range, duplicate URLs, `updated` after `date`) are in `rules`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,99}$"
TIMESTAMP_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
    r"([Zz]|[+-]\d{2}(:?\d{2})?)?)?$"
)
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

#: Characters that end a line for some reader (Python's str.splitlines set).
_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Compiled once: validators run per source (re's own cache lookup was a tenth of
# validating a story).
_TIMESTAMP, _DATE = re.compile(TIMESTAMP_PATTERN), re.compile(DATE_PATTERN)
_HOURS_OFFSET = re.compile(r"([+-]\d{2})$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+\.?[^\s]*$", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_URL_UNSAFE = re.compile(r'["<>\\^`{|}]')
#: Anchored at the bracket, not at the blanks before it: `\s*\[` would retry from
#: every blank of a long run of them (quadratic; minutes on a hostile 1 MB value).
_CITATION = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*$")

#: Bidi embeddings, overrides and isolates (UAX #9: LRE RLE PDF LRO RLO, LRI RLI FSI
#: PDI): invisible characters that reorder the text after them.
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ISOLATE_OPEN, _FSI, _PDI = "\u2066\u2067\u2068", "\u2068", "\u2069"
#: Any of `_LINE_BREAKS`, `_CONTROL` or `BIDI_CONTROL`: one character class.
_UNUSUAL = re.compile(
    "[" + "".join(p.pattern[1:-1] for p in (_LINE_BREAKS, _CONTROL, BIDI_CONTROL)) + "]"
)

#: Most entries of each list of a story: far above real stories (Ground News lists
#: a few hundred sources at most), low enough to bound a hostile file's cost.
MAX_SOURCES = 1000
MAX_PERSPECTIVES = 50
MAX_TIMELINE = 500
MAX_TOPICS = 20
#: Longest topic slug (a folder and a feed's file name; NFKD can lengthen a topic).
MAX_TOPIC_SLUG = 80

#: Letters NFKD does not take apart into ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
     "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
     "ı": "i"}
)


class Bias(StrEnum):
    FAR_LEFT = "far-left"
    LEFT = "left"
    LEAN_LEFT = "lean-left"
    CENTER = "center"
    LEAN_RIGHT = "lean-right"
    RIGHT = "right"
    FAR_RIGHT = "far-right"

    @property
    def bucket(self) -> Bucket:
        """The side of the three-bucket scale this rating falls in (§2)."""
        if self in (Bias.FAR_LEFT, Bias.LEFT, Bias.LEAN_LEFT):
            return Bucket.LEFT
        if self is Bias.CENTER:
            return Bucket.CENTER
        return Bucket.RIGHT

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").title()


class Bucket(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"

    @property
    def label(self) -> str:
        return self.value.title()


class Factuality(StrEnum):
    VERY_HIGH = "very-high"
    HIGH = "high"
    MOSTLY_FACTUAL = "mostly-factual"
    MIXED = "mixed"
    LOW = "low"
    VERY_LOW = "very-low"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


class Ownership(StrEnum):
    INDEPENDENT = "independent"
    MEDIA_CONGLOMERATE = "media-conglomerate"
    CORPORATION = "corporation"
    PRIVATE_EQUITY = "private-equity"
    BILLIONAIRE = "billionaire"
    GOVERNMENT = "government"
    TELECOM = "telecom"
    NON_PROFIT = "non-profit"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


class Side(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


# --- scalar types -------------------------------------------------------------


def _single_line(value: str) -> str:
    """One line, no control characters, bidi controls isolated: one search for the
    common case (every title, name and source title passes here)."""
    if not _UNUSUAL.search(value):
        return value
    if _LINE_BREAKS.search(value):
        raise ValueError("must be a single line (no line breaks)")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return isolate_bidi(value)


def isolate_bidi(value: str) -> str:
    """Text holding bidi controls, wrapped as FSI … PDI (U+2068 … U+2069) with its own
    isolates balanced: the closing PDI also ends every embedding and override opened
    inside (UAX #9, X6a), so the text cannot reorder anything around it in a page,
    a feed or a JSON consumer. Text without them is returned as it is; so is text
    already isolated (validating twice changes nothing)."""
    if not BIDI_CONTROL.search(value) or _isolated(value):
        return value
    return _FSI + _balanced(value) + _PDI


def _isolated(value: str) -> bool:
    inner = value[1:-1]
    return value[:1] == _FSI and value[-1:] == _PDI and len(value) > 1 and _balanced(inner) == inner


def _balanced(text: str) -> str:
    """Isolates closed at the end, and a PDI that would close one opened before the
    text (ours) dropped."""
    kept: list[str] = []
    depth = 0
    for char in text:
        if char in _ISOLATE_OPEN:
            depth += 1
        elif char == _PDI:
            if depth == 0:
                continue
            depth -= 1
        kept.append(char)
    return "".join(kept) + _PDI * depth


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _to_utc(value: Any) -> Any:
    """Dates and naive date-times load as UTC date-times (§1.2). Text must be ISO
    8601: pydantic alone would read `20250516` as seconds since 1970."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    if isinstance(value, str | int | float):
        text = str(value).strip()
        if not _TIMESTAMP.match(text):
            raise ValueError(
                "must be an ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM:SSZ)"
            )
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=UTC)
        return _HOURS_OFFSET.sub(r"\1:00", text)  # `+02` is ISO too
    return value


def _iso_day(value: Any) -> Any:
    """`rated_on` is a calendar date written `YYYY-MM-DD`, never a number."""
    if isinstance(value, str | int | float) and not _DATE.match(str(value).strip()):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD)")
    return value


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _url(value: str) -> str:
    if not _HTTP_URL.match(value):
        raise ValueError("must be an absolute http:// or https:// URL")
    if _SPACE.search(value):
        raise ValueError("must not contain spaces")
    if _URL_UNSAFE.search(value):
        raise ValueError('must not contain " < > \\ ^ ` { | } (percent-encode them)')
    return value


Line = Annotated[str, AfterValidator(_single_line)]
Text = Annotated[str, AfterValidator(_no_control)]
Url = Annotated[
    str,
    Field(max_length=2048),
    AfterValidator(_url),
    WithJsonSchema(
        {"type": "string", "format": "uri", "maxLength": 2048, "pattern": r"^[hH][tT][tT][pP][sS]?://\S+$"}
    ),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_to_utc),
    AfterValidator(_aware),
    PlainSerializer(lambda v: v.isoformat(), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 date or date-time; naive times are UTC",
            "pattern": TIMESTAMP_PATTERN,
        }
    ),
]
SourceIndex = Annotated[int, Field(ge=1)]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not vanish silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


# --- outlets ------------------------------------------------------------------


class Outlet(_Strict):
    """One entry of `content/outlets.yaml`; without `bias` the outlet is unrated."""

    name: Line = Field(min_length=1, max_length=120)
    url: Url | None = None
    bias: Bias | None = None
    factuality: Factuality | None = None
    ownership: Ownership | None = None
    owner: Line | None = Field(default=None, min_length=1, max_length=200)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    rated_by: Line | None = Field(default=None, min_length=1, max_length=200)
    rated_on: Annotated[date, BeforeValidator(_iso_day)] | None = None


OutletKey = Annotated[str, Field(pattern=KEY_PATTERN)]


class Registry(BaseModel):
    """The outlet registry: key → outlet (JSON Schema root of outlets.yaml)."""

    model_config = ConfigDict(frozen=True)
    outlets: dict[OutletKey, Outlet]


# --- stories ------------------------------------------------------------------


class Source(_Strict):
    """One article that covered the story."""

    outlet: OutletKey
    title: Line = Field(min_length=1, max_length=500)
    url: Url
    published: Timestamp | None = None
    excerpt: Text | None = Field(default=None, max_length=1000)
    bias: Bias | None = None


class Perspective(_Strict):
    """How one side, or one named actor, sees the story."""

    side: Side | None = None
    actor: Line | None = Field(default=None, min_length=1, max_length=120)
    text: Text = Field(min_length=1, max_length=2000)
    sources: list[SourceIndex] = Field(default_factory=list, max_length=MAX_SOURCES)

    @model_validator(mode="after")
    def _side_or_actor(self) -> Perspective:
        if (self.side is None) == (self.actor is None):
            raise ValueError("give exactly one of `side` or `actor`")
        return self


class TimelineEntry(_Strict):
    date: Timestamp
    text: Text = Field(min_length=1, max_length=2000)


class Story(_Strict):
    """One story file. `slug` is filled from the file name by `load` when absent."""

    title: Line = Field(min_length=1, max_length=300)
    date: Timestamp
    updated: Timestamp | None = None
    slug: str | None = Field(default=None, pattern=SLUG_PATTERN)
    topics: list[Annotated[Line, Field(min_length=1, max_length=80)]] = Field(
        default_factory=list, max_length=MAX_TOPICS
    )
    location: Line | None = Field(default=None, min_length=1, max_length=200)
    summary: Text | None = Field(default=None, min_length=1, max_length=3000)
    key_points: list[Annotated[Text, Field(min_length=1, max_length=2000)]] = Field(
        min_length=1, max_length=12
    )
    perspectives: list[Perspective] = Field(default_factory=list, max_length=MAX_PERSPECTIVES)
    timeline: list[TimelineEntry] = Field(default_factory=list, max_length=MAX_TIMELINE)
    sources: list[Source] = Field(min_length=1, max_length=MAX_SOURCES)
    draft: bool = False

    @property
    def last_updated(self) -> datetime:
        return self.updated or self.date


def split_citations(point: str) -> tuple[str, tuple[int, ...]]:
    """`"Talks began. [1, 2]"` → `("Talks began.", (1, 2))`: the trailing citation."""
    match = _CITATION.search(point)
    if not match:
        return point, ()
    numbers = tuple(int(n) for n in re.split(r"\s*,\s*", match.group(1).strip()))
    return point[: match.start()].rstrip(), numbers


def ascii_fold(text: str) -> str:
    """`"Zürich Straße"` → `"Zurich Strasse"`: what of the text ASCII can spell
    (NFKD takes accents off, `_FOLD` the letters it cannot); the rest is dropped,
    zero-width and bidi controls included."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return folded.encode("ascii", "ignore").decode()


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_slug(text: str) -> str:
    """`"Zürich: Straße"` → `zurich-strasse`: lowercase ASCII letters, digits and
    single hyphens, from what of the text ASCII can spell (may be empty). Story and
    topic slugs both start here; each adds its own length rule and fallback."""
    return _NOT_SLUG.sub("-", ascii_fold(text).lower()).strip("-")


def topic_slug(name: str) -> str:
    """`"Russia-Ukraine War"` → `russia-ukraine-war`: lowercase ASCII letters, digits
    and hyphens, never empty, at most `MAX_TOPIC_SLUG` + 10 characters.

    Case, accents and punctuation do not make another topic ("Trade" = "trade!").
    Letters ASCII cannot spell ("東京", "Ελλάδα") are kept apart by a short hash of
    the text: `t--1a2b3c4d`, `tokyo--5e6f7a8b` for "Tokyo 東京". Only these slugs hold
    `--`, so a hash never equals the slug of a plain ASCII topic."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    slug = ascii_slug(name)
    lost = any(char.isalnum() and not char.isascii() for char in decomposed)
    if len(slug) > MAX_TOPIC_SLUG:
        slug, lost = slug[:MAX_TOPIC_SLUG].rstrip("-"), True
    if slug and not lost:
        return slug
    digest = hashlib.sha256(_identity(name).encode()).hexdigest()[:8]
    return f"{slug or 't'}--{digest}"


def _identity(name: str) -> str:
    """What makes two topics the same beyond ASCII: their letters, marks and digits,
    case-folded, in words (spacing, punctuation and invisible characters aside); the
    text itself when it has none ("../")."""
    text = "".join(
        c for c in unicodedata.normalize("NFKC", name).casefold()
        if unicodedata.category(c) != "Cf"
    )
    words = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text).split()
    return "-".join(words) or text.strip()


def has_line_break(value: str) -> bool:
    return bool(_LINE_BREAKS.search(value))
