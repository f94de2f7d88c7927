"""The published site works from a sub-path (`make publish`, as the Pages workflow runs it).

GitHub Pages serves a project site at `https://user.github.io/<repo>/`. Built with
`SITEURL=https://example.org/news`, every link the site makes — in every HTML page
(href, src, srcset, canonical, og:image, og:url, the search bundle's base), in the
feeds (links and the HTML of entries), the sitemap, robots.txt and the CSS — must
stay under `/news/` (absolute URLs under `https://example.org/news/`, root-relative
ones under `/news/`), and every internal link must resolve to a file of the output.
URLs that editors wrote in the content (articles, Markdown links) are theirs, not the
site's: they are exempt.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

PROJECT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT / "tests" / "fixtures" / "site"
CONTENT = FIXTURE if FIXTURE.is_dir() else Path("/work/shared/examples/content")
SITEURL = "https://example.org/news"
HOST = urlsplit(SITEURL).netloc
PREFIX = "/news/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"

pytestmark = pytest.mark.site

#: Attributes whose value is a URL, on any element.
URL_ATTRIBUTES = {"href", "src", "action", "poster", "data", "formaction", "cite", "data-base"}
#: <meta property|name=...> whose `content` is a URL.
URL_METAS = {"og:image", "og:url", "og:image:url", "og:image:secure_url", "og:audio",
             "og:video", "twitter:image", "twitter:url", "msapplication-tileimage"}


def _make_publish(output: Path, work: Path, env_only: bool = False) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SITEURL", "MAKEFLAGS")}
    args = ["make", "-C", str(PROJECT), "publish", f"CONTENT={CONTENT}", f"OUTPUT={output}",
            f"WORK={work}"]
    if env_only:
        env["SITEURL"] = SITEURL
    else:
        args.append(f"SITEURL={SITEURL}")
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"make publish failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make publish SITEURL=https://example.org/news` (a make variable, no environment)."""
    root = tmp_path_factory.mktemp("publish")
    _make_publish(root / "out", root / "work")
    return root / "out"


# --- collecting every link the site makes -------------------------------------


@dataclass(frozen=True)
class Link:
    where: str  # output file (and element)
    url: str  # as written
    base: str  # the absolute URL it is relative to


def page_url(site: Path, file: Path) -> str:
    """The absolute URL a file of the output is served at."""
    return f"{SITEURL}/{file.relative_to(site).as_posix()}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (element/attribute, value)
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if tag == "base" and "href" in values:
            self.base = values["href"]
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                self.found.append((f"<{tag} {name}>", value))
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        self.found.append((f"<{tag} {name}>", candidate.split()[0]))
        meta = (values.get("property") or values.get("name") or "").lower()
        if tag == "meta" and meta in URL_METAS and "content" in values:
            self.found.append((f"<meta {meta}>", values["content"]))


def html_links(html: str, where: str, base: str) -> Iterator[Link]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    base = urljoin(base, parser.base) if parser.base else base
    for element, url in parser.found:
        yield Link(f"{where} {element}", url, base)


def links_of(site: Path) -> Iterator[Link]:
    for file in sorted(site.rglob("*")):
        if not file.is_file():
            continue
        rel, url = file.relative_to(site).as_posix(), page_url(site, file)
        if file.suffix == ".html":
            yield from html_links(file.read_text(encoding="utf-8"), rel, url)
        elif file.name == "sitemap.xml":
            tree = ET.parse(file)
            for loc in tree.iter(f"{SITEMAP}loc"):
                yield Link(f"{rel} <loc>", (loc.text or "").strip(), url)
            for alt in tree.iter(f"{XHTML}link"):
                yield Link(f"{rel} <xhtml:link>", alt.get("href", ""), url)
        elif file.suffix == ".xml" and file.parts[-2:-1] != ("pagefind",):
            yield from feed_links(file, rel, url)
        elif file.name == "robots.txt":
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.lower().startswith("sitemap:"):
                    yield Link(f"{rel} Sitemap:", line.split(":", 1)[1].strip(), url)
        elif file.suffix == ".css" and "pagefind" not in file.parts:
            css = file.read_text(encoding="utf-8")
            for match in re.finditer(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)""",
                                     css):
                yield Link(f"{rel} url()", match.group(1) or match.group(2), url)


def feed_links(file: Path, rel: str, url: str) -> Iterator[Link]:
    """Atom links, and the links inside each entry's HTML (relative to the feed
    document, the base feed readers use when the feed sets no xml:base)."""
    tree = ET.parse(file)
    for link in tree.iter(f"{ATOM}link"):
        yield Link(f"{rel} <link rel={link.get('rel')}>", link.get("href", ""), url)
    for tag in ("content", "summary"):
        for node in tree.iter(f"{ATOM}{tag}"):
            if node.get("type") == "html" and node.text:
                yield from html_links(node.text, f"{rel} <{tag}>", url)


def content_urls(content: Path) -> set[str]:
    """Every absolute URL editors wrote (article URLs, outlet home pages, Markdown links)."""
    found: set[str] = set()
    for file in content.rglob("*"):
        if file.suffix in (".yaml", ".yml", ".md") and file.is_file():
            found.update(re.findall(r"https?://[^\s\"'<>)\]]+", file.read_text(encoding="utf-8")))
    return found


def editor_root_links(content: Path) -> set[str]:
    """Root-relative links editors wrote in Markdown (`[methodology](/methodology/)`)."""
    found: set[str] = set()
    for file in content.rglob("*"):
        if file.suffix in (".yaml", ".yml", ".md") and file.is_file():
            text = file.read_text(encoding="utf-8")
            found.update(re.findall(r"\]\((/[^\s)]*)\)", text))
    return found


# --- judging one link ---------------------------------------------------------


def target(site: Path, absolute: str) -> Path | None:
    """The output file an absolute URL under SITEURL is served from, if any."""
    path = unquote(urlsplit(absolute).path)
    assert path.startswith(PREFIX)
    file = site / path[len(PREFIX):]
    if path.endswith("/") or file.is_dir():
        file = file / "index.html"
    return file if file.is_file() else None


def problem(site: Path, link: Link, exempt: set[str]) -> str | None:
    """Why a link escapes the prefix or leads nowhere; None when it is fine."""
    url = link.url.strip()
    if not url or url.startswith(("mailto:", "tel:", "data:")) or url in exempt:
        return None
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return f"unexpected scheme {parts.scheme!r}"
    if parts.scheme or parts.netloc:
        if parts.netloc != HOST:
            if re.match(r"(localhost|127\.|0\.0\.0\.0)", parts.netloc):
                return "points at the local preview server"
            return None  # another site
        if not url.startswith(SITEURL + "/"):
            return f"absolute URL outside {SITEURL}/"
    elif url.startswith("/") and not url.startswith(PREFIX):
        return f"root-relative URL outside {PREFIX}"
    absolute = urljoin(link.base, url)
    if not absolute.startswith(SITEURL + "/"):
        return f"resolves to {absolute}, outside {SITEURL}/"
    if target(site, absolute) is None:
        return f"resolves to {absolute}: no such file in the output"
    return None


def _report(problems: list[str]) -> str:
    shown = "\n".join(problems[:60])
    more = f"\n… and {len(problems) - 60} more" if len(problems) > 60 else ""
    return f"{len(problems)} link(s) escape {PREFIX} or lead nowhere:\n{shown}{more}"


# --- the tests ----------------------------------------------------------------


def test_every_link_stays_under_the_sub_path_and_resolves(site: Path) -> None:
    """Every link the site makes; root-relative links written in the content's
    Markdown are the next test's."""
    exempt = content_urls(CONTENT) | editor_root_links(CONTENT)
    links = list(links_of(site))
    checked = " ".join(link.where for link in links)
    for kind in ("<a href>", "<loc>", "<link rel=self>", "<img src>", "<meta og:url>"):
        assert kind in checked, f"no {kind} link found: is the checker still reading the site?"
    problems = [
        f"{link.where}: {link.url!r}: {why}"
        for link in links
        if (why := problem(site, link, exempt)) is not None
    ]
    assert not problems, _report(problems)


def test_links_editors_wrote_in_markdown_follow_the_sub_path(site: Path) -> None:
    written = editor_root_links(CONTENT)
    if not written:
        pytest.skip("no root-relative link in the content")
    escaping = [
        f"{link.where}: {link.url!r}"
        for link in links_of(site)
        if link.url in written and not link.url.startswith(PREFIX)
    ]
    assert not escaping, _report(escaping)


def test_canonical_and_social_urls_are_absolute_under_the_sub_path(site: Path) -> None:
    """Search engines and social cards need absolute URLs: the canonical link and
    og:url / og:image of every story page name the page under SITEURL."""
    stories = sorted((site / "stories").glob("*/index.html"))
    assert stories
    for file in stories:
        parser = _Links()
        parser.feed(file.read_text(encoding="utf-8"))
        found = dict(reversed(parser.found))
        here = page_url(site, file).removesuffix("index.html")
        canonical = found.get("<link href>")
        assert canonical is None or canonical.startswith(SITEURL + "/"), (file, canonical)
        for meta in ("og:url", "og:image", "twitter:image"):
            value = found.get(f"<meta {meta}>")
            if value is not None:
                assert value.startswith(SITEURL + "/"), (file, meta, value)
        if "<meta og:url>" in found:
            assert found["<meta og:url>"] == here, (file, found["<meta og:url>"])


def test_feeds_and_sitemap_use_the_full_domain(site: Path) -> None:
    feed = ET.parse(site / "feeds" / "all.atom.xml")
    hrefs = [link.get("href", "") for link in feed.iter(f"{ATOM}link")]
    assert f"{SITEURL}/feeds/all.atom.xml" in hrefs
    entries = [
        link.get("href", "")
        for entry in feed.iter(f"{ATOM}entry")
        for link in entry.iter(f"{ATOM}link")
    ]
    assert entries and all(h.startswith(f"{SITEURL}/stories/") for h in entries), entries
    sitemap = ET.parse(site / "sitemap.xml")
    locs = [(loc.text or "").strip() for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert f"{SITEURL}/" in locs
    assert all(loc.startswith(SITEURL + "/") for loc in locs), locs
    for loc in locs:
        assert target(site, loc) is not None, loc


def test_search_bundle_and_results_resolve_under_the_sub_path(site: Path) -> None:
    """Pagefind records URLs relative to the site root; the search page must load the
    bundle from under SITEURL (its base URL is where the bundle lives) and every
    indexed URL, joined to that base, must be a page of the output."""
    bundle = site / "pagefind"
    if not bundle.is_dir():
        pytest.skip("the build made no search index")
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    scripts = [u for _, u in _parsed(page) if "pagefind" in u]
    assert scripts, "the search page does not load the Pagefind bundle"
    for url in scripts:
        assert url.startswith(f"{SITEURL}/pagefind/") or url.startswith(f"{PREFIX}pagefind/"), url
    fragments = sorted((bundle / "fragment").glob("*.pf_fragment"))
    assert fragments
    for fragment in fragments:
        data = gzip.decompress(fragment.read_bytes())
        record = json.loads(data.removeprefix(b"pagefind_dcd"))
        url = record["url"]
        assert url.startswith("/"), url
        absolute = SITEURL + url
        assert target(site, absolute) is not None, f"search result {absolute} is not a page"


def _parsed(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.found


def test_siteurl_from_the_environment_alone(tmp_path: Path) -> None:
    """The Pages workflow sets SITEURL in the environment of `make publish`."""
    _make_publish(tmp_path / "out", tmp_path / "work", env_only=True)
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert f'href="{SITEURL}/' in home
    feed = (tmp_path / "out" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert f"{SITEURL}/feeds/all.atom.xml" in feed


def test_checker_catches_escaping_links(tmp_path: Path) -> None:
    """The judge itself: root-relative and absolute links outside /news/ are caught."""
    (tmp_path / "index.html").write_text("", encoding="utf-8")
    base = f"{SITEURL}/index.html"
    verdicts = {
        url: problem(tmp_path, Link("t", url, base), set())
        for url in ("/stories/x/", "https://example.org/stories/x/", "../x/",
                    f"{SITEURL}/", "http://localhost:8000/x", "https://other.org/x")
    }
    assert verdicts["/stories/x/"] and "root-relative" in verdicts["/stories/x/"]
    assert verdicts["https://example.org/stories/x/"]
    assert verdicts["../x/"]
    assert verdicts[f"{SITEURL}/"] is None
    assert verdicts["http://localhost:8000/x"]
    assert verdicts["https://other.org/x"] is None
