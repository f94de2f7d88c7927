"""Editor text → safe HTML. Inline Markdown is escaped going in and sanitized coming out.

Going in (`inline`): the text is folded onto one line (inline Markdown has no
blocks), raw HTML is escaped and a leading block marker is neutralised. Coming out
(`clean_story`, `clean_page`): whatever Markdown produced is passed through nh3
(ammonia) with an allowlist of tags; links keep only http, https and mailto (and
in-page anchors), so a `javascript:` link or an `<img onerror>` never survives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import markdown
import nh3

_WS = re.compile(r"\s+")
#: What Python-Markdown reads as the start of a block on a single line: an ATX
#: heading (`#` needs no space after it), a bullet, a thematic break (`---`, `***`,
#: `___`, also after the `- ` of a list item: `- --` is a rule) and a reference
#: definition (`[label]: url`, which swallows the whole text). `>` is escaped apart.
_BLOCK_START = re.compile(r"^(?:#|[-+*](?=\s|$)|[-*_][-*_ ]*$|\[[^\[\]]*\] *:)")
#: An ordered-list marker (`1. `): the dot is escaped, as `\1` is no Markdown escape.
_NUMBER_DOT = re.compile(r"^(\d+)\.(?=\s|$)")

INLINE_TAGS = {"a", "em", "strong", "code", "del", "sub", "sup", "br", "abbr", "b", "i"}
STORY_TAGS = INLINE_TAGS | {"p", "ul", "ol", "li", "h2", "h3", "blockquote", "time", "span"}
PAGE_TAGS = STORY_TAGS | {
    "h4", "h5", "h6", "pre", "hr", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
}
_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "li": {"id"}, "span": {"class"},
    "time": {"datetime"}, "abbr": {"title"}, "th": {"scope"},
}
_SCHEMES = {"http", "https", "mailto"}
_URL_NOISE = re.compile(r"[\t\n\r]")
#: The private-use characters around a citation's numbers in the Markdown that
#: `generator.markdown` writes (it links them after Markdown): never taken from
#: editor text, where `inline` makes them U+FFFD.
CITE_OPEN, CITE_CLOSE = "\ue000", "\ue001"
_NOT_CITATIONS = str.maketrans({CITE_OPEN: "\ufffd", CITE_CLOSE: "\ufffd"})


def inline(text: str) -> str:
    """Editor inline Markdown made safe to embed in a Markdown document (the two
    private-use characters that mark citations become U+FFFD)."""
    text = _WS.sub(" ", text).strip().translate(_NOT_CITATIONS)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _NUMBER_DOT.sub(r"\1\\.", text)
    return "\\" + text if _BLOCK_START.match(text) else text


def _href_filter(
    tag: str, attribute: str, value: str, *, relative: bool, page: str = "", site: str = ""
) -> str | None:
    """Keep http(s)/mailto links and in-page anchors (made absolute with `page`, so
    they also work in feeds); with `relative`, site links too (under `site`, so
    they work when the site is served from a sub-path)."""
    if attribute != "href":
        return value
    if value.startswith("#"):
        return page + value
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme in _SCHEMES:
        return value
    # Browsers drop tabs and newlines from URLs and read `\` as `/`: `/\evil.example`
    # is `//evil.example`, another site.
    if relative and not scheme:
        if _URL_NOISE.sub("", value).replace("\\", "/").startswith("//"):
            return None
        return site + value if value.startswith("/") else value
    return None


#: An `<a>` left without `href` (its URL was refused) must not keep `rel` (invalid HTML).
_OTHER_ATTRS = r'((?: (?!href=)[a-z-]+="[^"]*")*)'
_DEAD_LINK = re.compile(f'<a{_OTHER_ATTRS} rel="noopener noreferrer"{_OTHER_ATTRS}>')


def _clean(html: str, tags: set[str], relative: bool, page: str = "", site: str = "") -> str:
    links = partial(_href_filter, relative=relative, page=page, site=site)
    return _DEAD_LINK.sub(r"<a\1\2>", _clean_html(html, tags, links))


def _clean_html(html: str, tags: set[str], links: Callable[..., str | None]) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=links,
    )


def clean_story(html: str, page: str = "") -> str:
    """Story body HTML: editor links may only leave the site by http(s)/mailto;
    citation anchors (`#source-2`) point at `page`, the story's own URL."""
    return _clean(html, STORY_TAGS, relative=False, page=page)


def clean_page(html: str, site: str = "") -> str:
    """Editor pages (About, Methodology) may also link within the site: `/x/` is
    `site + /x/`, so a page works under a sub-path too."""
    return _clean(html, PAGE_TAGS, relative=True, site=site)


_MD = markdown.Markdown(output_format="html")


def inline_html(text: str) -> str:
    """One inline-Markdown field rendered on its own (summaries on cards, feeds)."""
    html = _MD.reset().convert(inline(text))
    html = html.removeprefix("<p>").removesuffix("</p>")
    return _clean(html, INLINE_TAGS, relative=False)
