"""Summaries for cards and feeds: rendered on demand, remembered by their text."""

from __future__ import annotations

from pathlib import Path

from conftest import OUTLETS, STORY, write_content

from generator.figures import Thresholds, site_figures
from generator.load import load_content
from generator.render import Rendered, Summaries, read_memo, write_memo


def _site(tmp_path: Path, story: str = STORY):  # type: ignore[no-untyped-def]
    result = load_content(write_content(tmp_path / "c", OUTLETS, {"talks": story}))
    assert result.content
    return site_figures(result.content.stories, result.content.outlets, Thresholds())


def test_a_story_without_summary_is_summarised_by_its_first_point(tmp_path: Path) -> None:
    assert Summaries(_site(tmp_path))["talks"] == "Talks began."


def test_the_summary_is_sanitized_inline_html(tmp_path: Path) -> None:
    story = STORY.replace("topics:", "summary: 'A **deal** <script>x</script>'\ntopics:")
    html = Summaries(_site(tmp_path, story))["talks"]
    assert html == "A <strong>deal</strong> &lt;script&gt;x&lt;/script&gt;"


def test_remembered_summaries_are_reused_and_kept_for_current_stories(tmp_path: Path) -> None:
    site = _site(tmp_path)
    first = Summaries(site)
    first["talks"]
    write_memo(tmp_path / "memo.json", {**first.current(), "stale": "gone"})
    memo = read_memo(tmp_path / "memo.json")
    again = Summaries(site, memo)
    assert again["talks"] == "Talks began."
    assert set(again.current()) == set(first.current())  # "stale" is not carried on


def test_an_unreadable_memo_is_an_empty_one(tmp_path: Path) -> None:
    (tmp_path / "memo.json").write_text("{not json", "utf-8")
    assert read_memo(tmp_path / "memo.json") == {}


def test_once_renders_a_fragment_once_per_build_and_keys_by_its_arguments(
    tmp_path: Path,
) -> None:
    rendered = Rendered(site=_site(tmp_path), outlets=OUTLETS)
    calls: list[tuple[object, ...]] = []

    def badge(*args: object) -> str:
        calls.append(args)
        return f"<b>{len(calls)}</b>"

    badge.name = "badge"  # type: ignore[attr-defined]  # as Jinja's Macro has
    story = rendered.site.stories[0]
    first = rendered.once(badge, story, "h2")
    assert rendered.once(badge, story, "h2") == first  # reused, not rendered again
    assert rendered.once(badge, story, "h3") != first  # another heading: its own fragment
    assert rendered.once(badge, None) != first
    assert len(calls) == 3
    assert Rendered(site=rendered.site, outlets=OUTLETS).once(badge, story, "h2") == "<b>4</b>"
