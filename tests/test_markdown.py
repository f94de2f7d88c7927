"""generator.markdown: one story → the Markdown file Pelican reads.

The metadata block holds exactly our validated single-line values; editor text only
reaches the body, folded onto one line, escaped, unable to open a block.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import markdown
import pytest

from generator.figures import StoryFigures, Thresholds, story_figures
from generator.markdown import (
    UnsafeMetadata,
    body,
    citation_links,
    link_citations,
    meta_line,
    story_markdown,
)
from generator.model import Outlet, Perspective, Source, Story, TimelineEntry

OUTLETS = {"a": Outlet(name="A", bias="left"), "b": Outlet(name="B", bias="right")}
SOURCES = [
    Source(outlet="a", title="First", url="https://example.org/1"),
    Source(outlet="b", title="Second", url="https://example.org/2"),
    Source(outlet="a", title="Third", url="https://example.org/3"),
]


def figures(**fields: Any) -> StoryFigures:
    data: dict[str, Any] = {
        "title": "Talks in Istanbul",
        "date": "2025-05-16",
        "slug": "talks",
        "key_points": ["Talks began. [1, 2]"],
        "sources": SOURCES,
        **fields,
    }
    return story_figures(Story(**data), OUTLETS, Thresholds())


def pelican_markdown(text: str) -> tuple[str, dict[str, list[str]]]:
    """Render as Pelican does with pelicanconf's MARKDOWN (tables) plus `meta`."""
    md = markdown.Markdown(
        extensions=["markdown.extensions.tables", "markdown.extensions.meta"],
        output_format="html5",
    )
    html = md.convert(text)
    return html, md.Meta  # type: ignore[attr-defined]


# --- meta_line ------------------------------------------------------------------------


def test_meta_line_is_key_colon_value() -> None:
    assert meta_line("Title", "Talks in Istanbul") == "Title: Talks in Istanbul"


@pytest.mark.parametrize(
    "brk", ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_meta_line_refuses_every_line_break(brk: str) -> None:
    with pytest.raises(UnsafeMetadata):
        meta_line("Title", f"Talks{brk}Status: draft")


@pytest.mark.parametrize("value", ["", " ", "\t"])
def test_meta_line_refuses_empty_values(value: str) -> None:
    with pytest.raises(UnsafeMetadata):
        meta_line("Title", value)


def test_unsafe_metadata_is_a_value_error() -> None:
    assert issubclass(UnsafeMetadata, ValueError)


# --- the metadata block -------------------------------------------------------------


def _header(text: str) -> list[str]:
    return text.split("\n\n", 1)[0].splitlines()


def test_metadata_lines_are_exactly_the_validated_values() -> None:
    f = figures(title="Talks: day one — Türkiye", summary="A summary.\nStatus: draft")
    assert _header(story_markdown(f)) == [
        "Title: Talks: day one — Türkiye",
        "Date: 2025-05-16T00:00:00+00:00",
        "Slug: talks",
        "Story: talks",
        "Template: story",
    ]


def test_updated_becomes_modified() -> None:
    f = figures(updated="2025-05-17T09:30:00+02:00")
    assert _header(story_markdown(f))[-1] == "Modified: 2025-05-17T09:30:00+02:00"


def test_pelican_reads_only_our_metadata() -> None:
    """Multi-line summary, key points, perspectives, timeline: the header is ours."""
    evil = "Text\nStatus: draft\nTemplate: evil\n\nSlug: hacked\nsave_as: x.html"
    f = figures(
        summary=evil,
        key_points=[evil + " [1]", evil],
        perspectives=[Perspective(actor="Kremlin", text=evil, sources=[1]),
                      Perspective(side="left", text=evil)],
        timeline=[TimelineEntry(date="2025-05-15", text=evil)],
        sources=[SOURCES[0].model_copy(update={"excerpt": evil}), *SOURCES[1:]],
    )
    text = story_markdown(f)
    _, meta = pelican_markdown(text)
    assert meta == {"title": ["Talks in Istanbul"], "date": ["2025-05-16T00:00:00+00:00"],
                    "slug": ["talks"], "story": ["talks"], "template": ["story"]}
    header, rest = text.split("\n\n", 1)
    assert len(header.splitlines()) == 5
    for line in rest.splitlines():
        assert not re.match(r"(?i)^(status|template|slug|save_as):", line), line


def test_story_markdown_refuses_a_title_with_a_line_break() -> None:
    """The model refuses it first; if one slipped through, rendering stops."""
    f = figures()
    broken = f.story.model_copy(update={"title": "A\nStatus: draft"})
    with pytest.raises(UnsafeMetadata):
        story_markdown(StoryFigures(**{**f.__dict__, "story": broken}))


# --- citations ----------------------------------------------------------------------


def test_citation_links_are_markers_linked_after_markdown() -> None:
    assert citation_links(()) == ""
    assert citation_links((2,)) == " \ue0002\ue001"
    assert citation_links((2, 5)) == " \ue0002,5\ue001"
    assert link_citations("<li>A.\ue0002,5\ue001</li>") == (
        '<li>A.[<a href="#source-2">2</a>, <a href="#source-5">5</a>]</li>'
    )
    assert link_citations("no marker") == "no marker"


def test_editor_text_cannot_forge_a_citation() -> None:
    """The marker characters are ours: in editor text they become U+FFFD."""
    f = figures(key_points=["Forged \ue0009\ue001 here. [1]"])
    html = link_citations(pelican_markdown(story_markdown(f))[0])
    assert html.count('href="#source-') == 1
    assert "Forged \ufffd9\ufffd here." in html


def test_citations_become_links_to_sources() -> None:
    f = figures(key_points=["Talks began. [1, 3]", "No citation here.", "Bracket [2] inside."],
                perspectives=[Perspective(side="right", text="Fine.", sources=[2])])
    html, _ = pelican_markdown(story_markdown(f))
    html = link_citations(html)
    assert '<li>Talks began. [<a href="#source-1">1</a>, <a href="#source-3">3</a>]</li>' in html
    assert "<li>No citation here.</li>" in html
    assert "<li>Bracket [2] inside.</li>" in html  # only a trailing citation is one
    assert '[<a href="#source-2">2</a>]' in html
    assert html.count('href="#source-') == 3


# --- the body sections ----------------------------------------------------------------


def test_body_sections_in_order() -> None:
    f = figures(
        summary="The *summary*.",
        perspectives=[Perspective(side="left", text="Left view.", sources=[1]),
                      Perspective(actor="Port Authority", text="Its view.")],
        timeline=[TimelineEntry(date="2025-06-02", text="Later."),
                  TimelineEntry(date=datetime(2025, 5, 20, tzinfo=UTC), text="Earlier.")],
    )
    text = body(f)
    assert text.index("The *summary*.") < text.index("## Key points")
    assert text.index("## Key points") < text.index("## Perspectives")
    assert text.index("## Perspectives") < text.index("## Timeline")
    html, _ = pelican_markdown(text)
    assert html.startswith("<p>The <em>summary</em>.</p>")
    assert "<li><strong>Left:</strong> Left view." in html
    assert "<li><strong>Port Authority:</strong> Its view.</li>" in html
    # The timeline is in date order, whatever the YAML order.
    assert html.index("20 May 2025") < html.index("2 June 2025")
    assert re.findall(r"<h2>(.*?)</h2>", html) == ["Key points", "Perspectives", "Timeline"]


def test_optional_sections_are_left_out() -> None:
    text = body(figures())
    assert text.startswith("## Key points\n\n- ")
    assert "## Perspectives" not in text and "## Timeline" not in text
    assert text.endswith("\n")


def test_multi_line_text_is_folded_onto_one_line() -> None:
    f = figures(summary="One\ntwo\n\n   three", key_points=["Point\n\non lines. [1]"])
    text = body(f)
    assert text.splitlines()[0] == "One two three"
    assert "- Point on lines." + citation_links((1,)) in text.splitlines()


# --- inline text cannot start block structures ---------------------------------------

BLOCK_STARTS = [
    "# Heading", "#Hashtag", "###### six", "- bullet", "+ bullet", "* bullet", "1. ordered",
    "12. ordered", "> quote", "---", "***", "___", "- - -", "--", "* * *",
    "[ref]: https://example.org", "[Update] : yes", "    indented code", "\tindented",
    "<div>html</div>", "```", "| a | b |", "=== x",
]


def _block_tags(html: str) -> list[str]:
    """Block elements other than our own section headings and lists."""
    html = re.sub(r"<h2>(Key points|Perspectives|Timeline)</h2>", "", html)
    return re.findall(r"<(h[1-6]|ol|blockquote|pre|hr|table|div)\b", html)


@pytest.mark.parametrize("text", BLOCK_STARTS)
def test_a_summary_cannot_start_a_block(text: str) -> None:
    html, _ = pelican_markdown(story_markdown(figures(summary=text)))
    summary = html.split("<h2>Key points</h2>")[0]
    assert summary.startswith("<p>") and summary.strip().endswith("</p>"), summary
    assert _block_tags(summary) == []
    assert _visible(summary) == text.strip(), summary


@pytest.mark.parametrize("text", BLOCK_STARTS)
def test_a_key_point_cannot_start_a_block(text: str) -> None:
    html, _ = pelican_markdown(story_markdown(figures(key_points=[text, "Other. [1]"])))
    assert _block_tags(html) == []
    assert html.count("<li>") == 2, html  # the point is still one item, not a rule
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert _visible(items[0]) == text.strip()


@pytest.mark.parametrize("text", BLOCK_STARTS)
def test_perspectives_and_timeline_cannot_start_a_block(text: str) -> None:
    f = figures(perspectives=[Perspective(actor=text.strip(), text=text)],
                timeline=[TimelineEntry(date="2025-05-15", text=text)])
    html, _ = pelican_markdown(story_markdown(f))
    assert _block_tags(html) == []
    assert html.count("<li>") == 3


def _visible(html: str) -> str:
    """The text a reader sees (tags dropped, the few entities Markdown writes decoded)."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html)).strip()


def test_inline_markdown_still_works() -> None:
    f = figures(summary="*Emphasis* first, **strong**, `code` and [a link](https://example.org).")
    html, _ = pelican_markdown(story_markdown(f))
    assert ("<p><em>Emphasis</em> first, <strong>strong</strong>, <code>code</code> and "
            '<a href="https://example.org">a link</a>.</p>') in html


def test_raw_html_is_text() -> None:
    f = figures(summary="<script>alert(1)</script> & <b>bold</b>")
    html, _ = pelican_markdown(story_markdown(f))
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>" in html
