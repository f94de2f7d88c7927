"""`parse`: YAML text → plain values and positions; nothing is typed or executed.

Hostile input (nesting, value counts, aliases, sizes) is proven through
`parallax check` in tests/test_limits.py.
"""

from __future__ import annotations

from generator.parse import parse


def test_other_non_standard_tags_are_refused() -> None:
    _, _, problems = parse("a: !!binary aGVsbG8=\nb: !custom x\nc: !!set {x}\n")
    assert [p[:2] for p in problems] == [(1, 4), (2, 4), (3, 4)]
    assert all("is not allowed" in p[2] for p in problems)


def test_scalars_are_kept_as_written() -> None:
    """`country: NO` is Norway, not False; `title: 1.10` keeps its zero."""
    data, positions, problems = parse("country: NO\ntitle: 1.10\nwhen: 2025-05-16\nn: ~\n")
    assert data == {"country": "NO", "title": "1.10", "when": "2025-05-16", "n": None}
    assert positions.of(("title",)) == (2, 8)
    assert positions.of(("title",), key=True) == (2, 1)
    assert positions.of(("missing", 3)) == (1, 1)
    assert not problems
