"""The fixture site, built once per test session, and helpers to read built output.

`built_site` builds `tests/fixtures/site` with the real pipeline (`generator.build`)
into a temporary folder and gives the output folder. A test module uses it with

    pytest_plugins = ("sitebuild",)

which registers these fixtures once for the whole session, so the site is built
once (importing the fixture functions into each module instead would make one
fixture per module, one build each, and trips ruff's F811). Helpers are imported
as usual: `from sitebuild import FIXTURE, parse_page`. (`tests/` is on `sys.path`
as for `from conftest import ...`; a `tests/__init__.py` would break those imports.)

No assertion here (PYTEST_DONT_REWRITE: test modules import it before pytest
registers it as a plugin).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.build import Options, Report, build

TESTS = Path(__file__).resolve().parent
FIXTURE = TESTS / "fixtures" / "site"

#: Published stories of the fixture, newest first (the home page's order).
STORIES = ("harbour-strike", "istanbul-peace-talks", "budget-vote", "border-incident",
           "unrated-only")
DRAFT = "draft-secret-story"
#: A word that appears only in the draft story (title, key point, source).
DRAFT_MARK = "zebra-unpublished"
#: Topic slug → the published stories that carry it (the draft's topics not counted).
TOPICS = {
    "economy": ("harbour-strike", "budget-vote"),
    "labour": ("harbour-strike", "unrated-only"),
    "russia-ukraine-war": ("istanbul-peace-talks",),
    "trade-tariffs": ("budget-vote",),
    "immigration": ("border-incident",),
}


def build_site(content: Path, root: Path, **extra_settings: Any) -> tuple[Path, Report]:
    """Build `content` into `root/out` with the real pipeline; its work folder and
    parse cache are `root/work` and `root/cache` (never the project's)."""
    output = root / "out"
    report = build(
        Options(content=content, output=output, work=root / "work", cache=root / "cache",
                extra_settings=dict(extra_settings))
    )
    return output, report


@pytest.fixture(scope="session")
def built_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    return build_site(FIXTURE, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def built_site(built_fixture: tuple[Path, Report]) -> Path:
    """The output folder of the fixture site (build once per session)."""
    return built_fixture[0]


# --- reading the output -------------------------------------------------------


def html_files(site: Path) -> list[Path]:
    """Every HTML page of the site (Pagefind's own assets are not pages)."""
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


def url_of(site: Path, page: Path) -> str:
    """`out/stories/x/index.html` → `/stories/x/`; `out/404.html` → `/404.html`."""
    relative = page.relative_to(site).as_posix()
    if relative == "index.html":
        return "/"
    if relative.endswith("/index.html"):
        return "/" + relative.removesuffix("index.html")
    return "/" + relative


def file_of(site: Path, url_path: str) -> Path:
    """A root-relative URL path → the file that serves it (`/x/` → `x/index.html`)."""
    path = site / url_path.lstrip("/")
    if url_path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path


def read_json(site: Path, relative: str) -> Any:
    return json.loads((site / relative).read_text(encoding="utf-8"))


class Element:
    __slots__ = ("tag", "attrs", "text")

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag, self.attrs, self.text = tag, attrs, ""

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class Page(HTMLParser):
    """Every element of one HTML document, in order, with its attributes; the text of
    `<script>`, `<style>` and `<title>` elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: Element | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag in ("script", "style", "title"):
            self._open = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and self._open.tag == tag:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data

    def find(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def ids(self) -> set[str]:
        return {e.attrs["id"] or "" for e in self.elements if "id" in e.attrs}

    def links(self) -> Iterator[tuple[str, str, str]]:
        """(tag, attribute, value) of every href and src."""
        for e in self.elements:
            for name in ("href", "src"):
                value = e.attrs.get(name)
                if value is not None:
                    yield e.tag, name, value


def parse_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def story_links(page: Page) -> list[str]:
    """Slugs of the story pages a page links to, in order of first appearance."""
    seen: list[str] = []
    for _, _, value in page.links():
        path = value.split("#")[0]
        marker = "/stories/"
        if marker in path:
            slug = path.split(marker, 1)[1].strip("/")
            if slug and "/" not in slug and slug not in seen:
                seen.append(slug)
    return seen


# --- hostile content (test_security, test_html_valid) ---------------------------------

#: Markup and script payloads; every one carries `alert(` so a leak is easy to find.
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<b>bold</b>",
    "{{ 7*191 }}",  # a template expression must stay text: 1337 never appears
)
HOSTILE = " ".join(PAYLOADS)  # one line, 186 characters
#: More of the same family, for the fields long enough to hold them (a title holds 300):
#: frames, closing tags that end the element they sit in, mixed case, entities that
#: spell a scheme, other template syntaxes and Pelican's own link placeholders.
MORE_PAYLOADS = (
    "<iframe src=https://evil.example/></iframe>",
    "</title><script>alert(1)</script>",
    "</textarea></style></noscript><ScRiPt>alert(1)</sCrIpT>",
    "<IMG SRC=JaVaScRiPt:alert(1)> <a href=&#106;avascript:alert(1)>e</a>",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;b&#62;entity&#60;/b&#62;",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "{% if true %}JINJA-RAN{% endif %} {# comment #} ${7*191} <%= 7*191 %>",
    "{filename}/pages/evil.md {static}/x.png {attach}../../etc/passwd {index} {tag}x",
)
LONG_HOSTILE = " ".join((*PAYLOADS, *MORE_PAYLOADS))
#: Lines that would be Pelican metadata if a multi-line value reached the header.
INJECTION = "\nStatus: draft\nTemplate: evil\n\nSlug: hacked\nSave_as: ../evil.html\n"


def _accepted_url(raw: str, fallback: str) -> str:
    """`raw` if the model takes it as a source/outlet URL, else `fallback` (should the
    model start refusing `"`, `<`, `>` in URLs, the hostile site still builds)."""
    from pydantic import TypeAdapter, ValidationError

    from generator.model import Url

    try:
        TypeAdapter(Url).validate_python(raw)
    except ValidationError:
        return fallback
    return raw


HOSTILE_URL = _accepted_url(
    "https://example.org/a?q=\"><script>alert(1)</script>&x='onmouseover=alert(1)",
    "https://example.org/a?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&x='onmouseover=alert(1)",
)
HOSTILE_SLUG = "hostile"
HOSTILE_LINKS = (
    "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](vbscript:alert(1)) "
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
    '[e](https://example.org/ok "\\" onmouseover=\\"alert(1)") [f](/relative) '
    "[g](//evil.example/x) ![h](https://example.org/x.png) "
    "[i](&#106;avascript:alert(1)) [j]( javascript:alert(1)) [k](java\tscript:alert(1)) "
    "[l]({filename}/pages/evil.md) [m]({static}/x.png) [n]({attach}../../../etc/passwd) "
    "[o]({index}) [p](file:///etc/passwd) <javascript:alert(1)> <https://example.org/auto>"
)


def hostile_content(root: Path) -> Path:
    """A content folder whose every editor string carries the payloads; returns it."""
    import yaml

    outlets = {
        "evil": {
            "name": "Evil " + " ".join([PAYLOADS[1], PAYLOADS[2], PAYLOADS[4]]),
            "url": HOSTILE_URL,
            "bias": "center",
            "owner": HOSTILE,
            "rated_by": HOSTILE,
        },
        "plain": {"name": "Plain", "bias": "left"},
    }
    story = {
        "title": HOSTILE,
        "date": "2025-05-16",
        "location": HOSTILE,
        "topics": [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[4], PAYLOADS[7],
                   "{% raw %}x{% endraw %}", MORE_PAYLOADS[1], "../../etc/passwd"],
        "summary": LONG_HOSTILE + INJECTION + HOSTILE,
        "key_points": [
            LONG_HOSTILE + INJECTION + " [1]",
            "# Heading " + HOSTILE,
            HOSTILE_LINKS + " [1, 2]",
        ],
        "perspectives": [
            {"actor": "Actor " + PAYLOADS[1] + PAYLOADS[2], "text": HOSTILE + INJECTION,
             "sources": [1]},
            {"side": "left", "text": HOSTILE_LINKS},
        ],
        "timeline": [{"date": "2025-05-15", "text": LONG_HOSTILE + INJECTION}],
        "sources": [
            {"outlet": "evil", "title": HOSTILE, "url": HOSTILE_URL,
             "published": "2025-05-16T07:00:00Z", "excerpt": LONG_HOSTILE + INJECTION},
            {"outlet": "plain", "title": "Plain " + PAYLOADS[0],
             "url": "https://example.org/plain"},
        ],
    }
    page = (
        "Title: Evil page\nSlug: evil-page\n\n"
        f"{LONG_HOSTILE}\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        '<a href="javascript:alert(1)">j</a> <a href="/\\evil.example">b</a> '
        '<iframe src="https://evil.example"></iframe> <p onclick="alert(1)">p</p>\n\n'
        f"{HOSTILE_LINKS}\n"
    )
    (root / "stories").mkdir(parents=True, exist_ok=True)
    (root / "pages").mkdir(exist_ok=True)
    dump = {"allow_unicode": True, "sort_keys": False, "width": 1000}
    (root / "outlets.yaml").write_text(yaml.safe_dump(outlets, **dump), "utf-8")
    (root / "stories" / f"{HOSTILE_SLUG}.yaml").write_text(yaml.safe_dump(story, **dump),
                                                           "utf-8")
    (root / "pages" / "evil.md").write_text(page, "utf-8")
    return root


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile content, built (once per session); the output folder."""
    root = tmp_path_factory.mktemp("hostile")
    output, _ = build_site(hostile_content(root / "content"), root)
    return output
