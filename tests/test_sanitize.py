"""generator.sanitize: editor text → safe HTML.

`inline` escapes going in; `clean_story` / `clean_page` (nh3 with an allowlist) clean
coming out; `inline_html` renders one inline field on its own.
"""

from __future__ import annotations

import re

import pytest

from generator.sanitize import (
    INLINE_TAGS,
    PAGE_TAGS,
    STORY_TAGS,
    clean_page,
    clean_story,
    inline,
    inline_html,
)

REL = ' rel="noopener noreferrer"'


def _tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)", html))


# --- inline: going in -------------------------------------------------------------------


def test_inline_escapes_raw_html() -> None:
    assert inline("<b>x</b> & <script>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"


def test_inline_folds_every_kind_of_line_break() -> None:
    text = "a\nb\r\nc\rd\u2028e\u2029f\x85g\x0bh\x0ci\t j   k"
    assert inline(text) == "a b c d e f g h i j k"
    assert inline("  padded \n") == "padded"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Heading", "\\# Heading"),
        ("#Hashtag", "\\#Hashtag"),
        ("#", "\\#"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("* item", "\\* item"),
        ("-", "\\-"),
        ("---", "\\---"),
        ("***", "\\***"),
        ("___", "\\___"),
        ("- - -", "\\- - -"),
        ("--", "\\--"),
        ("1. First", "1\\. First"),  # `\1.` would show the backslash
        ("2025. A year", "2025\\. A year"),
        ("[ref]: https://example.org", "\\[ref]: https://example.org"),
        ("[Note] : text", "\\[Note] : text"),
        ("> quote", "&gt; quote"),
    ],
)
def test_inline_neutralises_a_leading_block_marker(text: str, expected: str) -> None:
    assert inline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "*Emphasis* first", "**Strong** first", "_em_ first", "__init__ method",
        "[A link](https://example.org) first", "1) not a list", "1984 was a year",
        "+1 for this", "-5 degrees", "Plain text.", "`code` first", "1.5 million",
    ],
)
def test_inline_leaves_inline_markdown_alone(text: str) -> None:
    assert inline(text) == text.replace("&", "&amp;")


# --- inline_html: one field rendered alone ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*em* and **strong**", "<em>em</em> and <strong>strong</strong>"),
        ("[link](https://example.org/a?b=1&c=2)",
         f'<a href="https://example.org/a?b=1&amp;c=2"{REL}>link</a>'),
        ("[x](javascript:alert(1))", "<a>x</a>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("# not a heading", "# not a heading"),
        ("1. not a list", "1. not a list"),
        ("AT&T", "AT&amp;T"),
        ("![img](https://example.org/x.png)", ""),
    ],
)
def test_inline_html(text: str, html: str) -> None:
    assert inline_html(text) == html


def test_inline_html_has_no_block() -> None:
    html = inline_html("First line\n\n## Second\n\n- third\n\n> fourth")
    assert _tags(html) <= INLINE_TAGS
    assert "<p>" not in html


# --- the allowlist ---------------------------------------------------------------------------


def test_tag_sets() -> None:
    assert INLINE_TAGS < STORY_TAGS < PAGE_TAGS
    dangerous = {"script", "style", "iframe", "object", "embed", "img", "svg", "math", "form",
                 "input", "button", "link", "meta", "base", "frame", "video", "audio"}
    assert not dangerous & PAGE_TAGS


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src=https://example.org></iframe>",
        "<style>body{}</style>",
        "<object data=x></object><embed src=x>",
        "<form action=https://example.org><input name=a><button>go</button></form>",
        "<base href=https://evil.example/>",
        "<meta http-equiv=refresh content=0;url=https://evil.example>",
        "<link rel=stylesheet href=https://evil.example/x.css>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    ],
)
@pytest.mark.parametrize("clean", [clean_story, clean_page])
def test_dangerous_elements_are_removed(clean, html: str) -> None:  # type: ignore[no-untyped-def]
    out = clean(html)
    assert not re.search(r"<(script|img|svg|iframe|style|object|embed|form|input|base|meta|"
                         r"link|math|noscript)\b", out), out
    assert "onerror" not in out or "<" not in out.split("onerror")[0][-20:]


@pytest.mark.parametrize("clean", [clean_story, clean_page])
def test_attributes_are_allowlisted(clean) -> None:  # type: ignore[no-untyped-def]
    html = ('<p onclick="x" style="color:red" class="c" id="p">t</p>'
            '<h2 id="section" onmouseover="x">h</h2>'
            '<span class="note" style="x" onclick="y">s</span>'
            '<a href="https://example.org" title="t" target="_blank" onclick="x">a</a>')
    assert clean(html) == (
        '<p>t</p><h2 id="section">h</h2><span class="note">s</span>'
        f'<a href="https://example.org" title="t"{REL}>a</a>'
    )


def test_story_keeps_story_tags_only() -> None:
    html = ("<h2>a</h2><h3>b</h3><h4>c</h4><ul><li>d</li></ul><ol><li>e</li></ol>"
            "<blockquote>f</blockquote><pre>g</pre><hr><table><tr><td>h</td></tr></table>"
            "<p><em>i</em><strong>j</strong><code>k</code></p><h1>l</h1>")
    out = clean_story(html)
    assert _tags(out) == {"h2", "h3", "ul", "li", "ol", "blockquote", "p", "em", "strong",
                          "code"}
    for text in "abcdefghijkl":
        assert text in out  # text of refused elements stays, as text


def test_page_keeps_page_tags() -> None:
    html = ("<h4 id=x>a</h4><pre>b</pre><hr><table><thead><tr><th scope=col>c</th></tr></thead>"
            "<tbody><tr><td>d</td></tr></tbody></table><dl><dt>e</dt><dd>f</dd></dl>")
    out = clean_page(html)
    assert _tags(out) == {"h4", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "dl",
                          "dt", "dd"}
    assert '<th scope="col">' in out and '<h4 id="x">' in out


# --- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "http://example.org/", "https://example.org/a?b=1#c", "HTTPS://EXAMPLE.ORG/",
        "mailto:editors@example.org",
    ],
)
@pytest.mark.parametrize("clean", [clean_story, clean_page])
def test_safe_schemes_are_kept(clean, href: str) -> None:  # type: ignore[no-untyped-def]
    assert clean(f'<a href="{href}">x</a>') == f'<a href="{href}"{REL}>x</a>'


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
        "java\tscript:alert(1)", "java&#x09;script:alert(1)", "&#106;avascript:alert(1)",
        "javascript&colon;alert(1)", "vbscript:msgbox(1)", "livescript:x",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data:image/png;base64,AA",
        "ftp://example.org/", "file:///etc/passwd", "tel:+123", "sms:123", "blob:x",
        "//evil.example/x", "\\\\evil.example/x",
    ],
)
@pytest.mark.parametrize("clean", [clean_story, clean_page])
def test_unsafe_links_lose_their_href(clean, href: str) -> None:  # type: ignore[no-untyped-def]
    assert clean(f'<a href="{href}" title="t">x</a>') == '<a title="t">x</a>'


@pytest.mark.parametrize("href", ["#source-1", "#section", "#"])
@pytest.mark.parametrize("clean", [clean_story, clean_page])
def test_in_page_anchors_are_kept(clean, href: str) -> None:  # type: ignore[no-untyped-def]
    assert clean(f'<a href="{href}">x</a>') == f'<a href="{href}"{REL}>x</a>'


@pytest.mark.parametrize("href", ["/about/", "about/", "../methodology/", "?q=1", "x.html"])
def test_relative_links_only_in_pages(href: str) -> None:
    assert clean_page(f'<a href="{href}">x</a>') == f'<a href="{href}"{REL}>x</a>'
    assert clean_story(f'<a href="{href}">x</a>') == "<a>x</a>"


@pytest.mark.parametrize("href", ["/\\evil.example", "\\/evil.example", "/\t/evil.example",
                                  "/\n/evil.example", "\\\\evil.example"])
def test_backslash_or_tab_links_leaving_the_site_are_not_relative(href: str) -> None:
    """Browsers read `\\` as `/` and drop tabs and newlines: these are `//evil.example`."""
    assert clean_page(f'<a href="{href}">x</a>') == "<a>x</a>"


def test_a_refused_link_keeps_no_rel() -> None:
    """`rel` without `href` is invalid HTML (the Nu checker says so)."""
    assert clean_story('<a href="javascript:x">x</a>') == "<a>x</a>"
    assert clean_story('<a id="a" href="javascript:x" title="t">x</a>') == \
        '<a id="a" title="t">x</a>'
    assert clean_story('<a title="rel=&quot;x&quot;>" href="javascript:x">x</a>') == \
        '<a title="rel=&quot;x&quot;&gt;">x</a>'


def test_kept_links_get_rel_noopener() -> None:
    out = clean_story('<a href="https://example.org" rel="opener">x</a>')
    assert out == f'<a href="https://example.org"{REL}>x</a>'


def test_sanitizing_is_idempotent() -> None:
    html = ('<p>a <a href="https://example.org">b</a> <a href="javascript:x">c</a> '
            '<script>d</script><img src=x onerror=y></p><h2 id="k">e</h2>')
    once = clean_story(html)
    assert clean_story(once) == once
    assert clean_page(clean_page(html)) == clean_page(html)


def test_anchors_take_the_story_url_so_feeds_resolve_them() -> None:
    html = clean_story('<a href="#source-2">2</a>', "https://example.org/news/stories/x/")
    assert 'href="https://example.org/news/stories/x/#source-2"' in html


def test_root_relative_page_links_follow_the_sub_path() -> None:
    html = clean_page('<a href="/methodology/">m</a> <a href="../about/">a</a>', "/news")
    assert 'href="/news/methodology/"' in html and 'href="../about/"' in html
