"""`parse`: YAML text → plain values and positions; nothing is typed or executed."""

from __future__ import annotations

import pytest

from generator.parse import MAX_DEPTH, STORY, parse


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


def test_nesting_past_the_limit_stops_the_parse_where_it_crosses() -> None:
    """The bracket that opens the 11th level is where parsing stops (the mapping is
    level 1, the first `[` at column 4 level 2): nothing deeper is built."""
    from generator.parse import YamlProblem

    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(YamlProblem) as refused:
        parse(text)
    assert (refused.value.line, refused.value.col) == (1, 3 + MAX_DEPTH)
    assert f"nested deeper than {MAX_DEPTH} levels" in refused.value.message


def test_values_are_counted_against_the_limit() -> None:
    from dataclasses import replace

    from generator.parse import YamlProblem

    small = replace(STORY, values=10)
    parse("[" + ",".join("a" * 8) + "]", small)  # 9 values: the list and 8 scalars
    with pytest.raises(YamlProblem) as refused:
        parse("[" + ",".join("a" * 10) + "]", small)
    assert "more than 10 values" in refused.value.message
