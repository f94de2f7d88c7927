"""`parallax outlet KEY`: the registry's entry and every story citing the outlet."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OUTLETS, STORY, run_cli, write_content

from generator.figures import Thresholds
from generator.report import UnknownOutlet, load_lenient, outlet_report, suggest

REGISTRY = OUTLETS + """\
ap:
  name: Associated Press
  url: https://apnews.com
  bias: lean-left
  factuality: high
  ownership: non-profit
  owner: AP cooperative
  country: US
  rated_by: Media Bias/Fact Check
  rated_on: '2026-08-19'
"""

#: A second story citing Reuters twice (once re-rated for that article) and AP.
STRIKE = """\
title: Harbour workers strike
date: 2025-06-01
key_points:
  - The strike closed three terminals. [1]
sources:
  - outlet: reuters
    title: Strike closes port
    url: https://example.org/s1
  - outlet: reuters
    title: Strike, day two
    url: https://example.org/s2
    bias: lean-right
  - outlet: ap
    title: Dock workers walk out
    url: https://example.org/s3
"""

DRAFT = STORY.replace("title: Talks in Istanbul", "title: Secret draft") + "draft: true\n"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_content(
        tmp_path / "content", outlets=REGISTRY,
        stories={"talks": STORY, "2025/harbour-strike": STRIKE},
    )


def _outlet(content: Path, key: str) -> tuple[int, str, str]:
    done = run_cli("outlet", key, "--content", content)
    return done.returncode, done.stdout, done.stderr


def test_cited_outlet(content: Path) -> None:
    code, out, err = _outlet(content, "reuters")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "reuters: Reuters"
    for expected in ("url:         https://www.reuters.com", "bias:        center (Center)",
                     "factuality:  very-high", "ownership:   unrated", "country:     GB",
                     "rated by:    no source given"):
        assert expected in out, (expected, out)
    assert "Cited by 2 stories (3 articles):" in out
    # newest first: harbour-strike (2025-06-01) before talks (2025-05-16)
    strike, talks = out.index("harbour-strike  2025-06-01"), out.index("talks           2025-05-16")
    assert strike < talks
    assert "Harbour workers strike" in out and "Talks in Istanbul" in out
    assert "2 articles (67% of its coverage)" in out
    assert "1 article (33% of its coverage)" in out
    assert str(content / "stories" / "2025" / "harbour-strike.yaml") in out
    assert str(content / "stories" / "talks.yaml") in out
    # one article re-rated lean-right: 2 Center, 1 Right
    assert "Its articles by side: L 0% · C 67% · R 33% (3 articles)" in out


def test_provenance_and_every_rating(content: Path) -> None:
    code, out, _ = _outlet(content, "ap")
    assert code == 0
    for expected in ("ap: Associated Press", "bias:        lean-left (Left)",
                     "factuality:  high", "ownership:   non-profit", "owner:       AP cooperative",
                     "country:     US", "rated by:    Media Bias/Fact Check, on 2026-08-19",
                     "Cited by 1 story (1 article):"):
        assert expected in out, (expected, out)


def test_unrated_outlet_is_never_center(content: Path) -> None:
    code, out, _ = _outlet(content, "kyiv-independent")
    assert code == 0
    assert "bias:        unrated (never counted as Center)" in out
    assert "Its articles by side: not enough rated sources (1 article)" in out


def test_uncited_outlet(tmp_path: Path) -> None:
    content = write_content(tmp_path / "c", outlets=REGISTRY, stories={"talks": STORY})
    code, out, _ = _outlet(content, "ap")
    assert code == 0 and "No story cites this outlet." in out


def test_drafts_are_listed_as_drafts(content: Path) -> None:
    write_content(content, outlets=None, stories={"secret": DRAFT})
    code, out, _ = _outlet(content, "guardian")
    assert code == 0
    assert "Secret draft [draft]" in out and "Cited by 2 stories" in out


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("reutres", "'reuters'"), ("Guardian", "'guardian'"), ("kyiv", "'kyiv-independent'"),
     ("Associated Press", "'ap'")],
)
def test_unknown_outlet_suggests(content: Path, key: str, suggestion: str) -> None:
    code, out, err = _outlet(content, key)
    assert code == 1 and out == ""
    assert f"parallax outlet: unknown outlet '{key}' (did you mean {suggestion}" in err


def test_unknown_outlet_without_anything_close(content: Path) -> None:
    code, _, err = _outlet(content, "zzzzzz")
    assert code == 1
    assert err.strip() == "parallax outlet: unknown outlet 'zzzzzz'"


def test_still_answers_when_another_story_is_broken(content: Path) -> None:
    write_content(content, outlets=None, stories={"broken": "title: [unclosed\n"})
    code, out, err = _outlet(content, "reuters")
    assert code == 0
    assert "Cited by 2 stories" in out
    assert "the content has 1 error" in err


def test_missing_content_folder(tmp_path: Path) -> None:
    code, _, err = _outlet(tmp_path / "nowhere", "reuters")
    assert code == 2 and "no content folder" in err


def test_report_api(content: Path) -> None:
    loaded = load_lenient(content)
    report = outlet_report(loaded, "reuters", Thresholds())
    assert [c.figures.slug for c in report.stories] == ["harbour-strike", "talks"]
    assert [c.articles for c in report.stories] == [2, 1]
    assert report.articles == 3
    assert (report.bias.left, report.bias.center, report.bias.right) == (0, 2, 1)
    with pytest.raises(UnknownOutlet):
        outlet_report(loaded, "nope")
    assert suggest("bbc", {}) == ""


def test_lenient_loading_keeps_what_validated_without_reading_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pass over the files: a broken neighbour does not make the report re-read
    the folder (the loader hands over what validated)."""
    import generator.load as load_module
    from generator.report import load_lenient

    root = write_content(tmp_path / "c", OUTLETS, {"good": STORY, "bad": "title: [\n"})
    parsed: list[str] = []
    real = load_module.decode
    monkeypatch.setattr(load_module, "decode", lambda raw: parsed.append(raw) or real(raw))
    loaded = load_lenient(root)
    assert [s.slug for s in loaded.stories] == ["good"] and loaded.errors
    assert len(parsed) == 3  # outlets.yaml, good.yaml, bad.yaml: each once
