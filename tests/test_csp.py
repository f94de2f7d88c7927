"""Defence in depth: every page carries a strict Content-Security-Policy, and the
site itself needs nothing it forbids (no inline script, style or handler), so the
policy can stay strict. Links to other sites give them neither `window.opener`
nor the referring page.

Read from the built fixture site (and the hostile one: editors' text cannot add
what the policy would block). That the browser enforces the policy, and that no
page trips it, is tests/test_browser.py's part.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sitebuild import Element, Page, html_files, parse_page, url_of

from generator.build import read_settings
from generator.plugin import colors_css

pytestmark = pytest.mark.site
pytest_plugins = ("sitebuild",)  # the session fixtures `built_site`, `hostile_site`

PROJECT = Path(__file__).resolve().parent.parent
THEME_CSS = PROJECT / "theme" / "static" / "css" / "site.css"

#: The policy, directive by directive. Only keywords: 'self' is the page's origin,
#: so the policy holds wherever the site is published, sub-path or not.
POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'self'", "'wasm-unsafe-eval'"],  # Pagefind's WebAssembly
    "worker-src": ["'self'"],  # Pagefind searches in a worker
    "connect-src": ["'self'"],  # Pagefind fetches its index
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}
PCT = re.compile(r"^pct-(\d+)$")


def policy_metas(page: Page) -> list[Element]:
    return [
        e for e in page.find("meta")
        if (e.attrs.get("http-equiv") or "").lower() == "content-security-policy"
    ]


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name.lower() not in parsed, f"{name} twice"
        parsed[name.lower()] = sources
    return parsed


def pages(site: Path) -> list[tuple[str, Page]]:
    found = [(url_of(site, path), parse_page(path)) for path in html_files(site)]
    assert len(found) > 10, "the site has pages to check"
    return found


# --- the policy -----------------------------------------------------------------


def test_every_page_has_one_policy_first_in_its_head(built_site: Path) -> None:
    """A policy in a <meta> governs only what follows it: nothing may come before."""
    for url, page in pages(built_site):
        metas = policy_metas(page)
        assert len(metas) == 1, f"{url}: {len(metas)} policies"
        head = page.elements.index(page.find("head")[0])
        assert page.elements[head + 1] is metas[0], f"{url}: the policy is not first in <head>"


def test_the_policy_allows_only_the_sites_own_files(built_site: Path) -> None:
    policies = {
        url: directives(policy_metas(page)[0].attrs.get("content") or "")
        for url, page in pages(built_site)
    }
    wrong = {url: found for url, found in policies.items() if found != POLICY}
    assert not wrong, wrong


def test_the_policy_reads_as_intended() -> None:
    """The parser the tests judge with: names lower-cased, sources kept, no repeats."""
    assert directives("Default-Src 'none'; img-src 'self' data:") == {
        "default-src": ["'none'"], "img-src": ["'self'", "data:"]}
    with pytest.raises(AssertionError):
        directives("img-src 'self'; img-src data:")


# --- nothing inline for the policy to block -------------------------------------


def inline_code(page: Page) -> list[str]:
    """What a policy without 'unsafe-inline' would block: inline scripts (JSON-LD
    is data, never run: HTML's "prepare the script element" stops at its type,
    before the policy is asked), `<style>`, style attributes, handlers,
    `javascript:` URLs."""
    found = []
    for e in page.elements:
        data = (e.attrs.get("type") or "").lower() == "application/ld+json"
        if e.tag == "script" and not data and (e.text.strip() or not e.attrs.get("src")):
            found.append(f"<script {e.attrs}> {e.text[:60]!r}")
        if e.tag == "style":
            found.append(f"<style> {e.text[:60]!r}")
        for name, value in e.attrs.items():
            if name == "style" or name.startswith("on"):
                found.append(f"<{e.tag} {name}={value!r}>")
            if name in ("href", "src", "action") and re.match(r"\s*javascript:", value or "", re.I):
                found.append(f"<{e.tag} {name}={value!r}>")
    return found


@pytest.mark.parametrize("which", ["built_site", "hostile_site"])
def test_no_page_has_inline_script_or_style(which: str, request: pytest.FixtureRequest) -> None:
    site = request.getfixturevalue(which)
    found = {url: code for url, page in pages(site) if (code := inline_code(page))}
    assert not found, found


def test_inline_code_is_recognised() -> None:
    page = Page(
        '<script type="application/ld+json">{"a": 1}</script><script src="/x.js"></script>'
        '<script>alert(1)</script><script src="/y.js">alert(2)</script><style>p{}</style>'
        '<p style="color: red" onclick="x()"><a href=" JavaScript:alert(3)">a</a></p>'
    )
    assert len(inline_code(page)) == 6, inline_code(page)


def test_story_pages_keep_their_json_ld(built_site: Path) -> None:
    page = parse_page(built_site / "stories" / "harbour-strike" / "index.html")
    kinds = [(e.attrs.get("type"), e.attrs.get("src")) for e in page.find("script")]
    assert ("application/ld+json", None) in kinds


def test_every_page_takes_the_side_colours_from_a_stylesheet(built_site: Path) -> None:
    """PARALLAX_COLORS reach the pages as a file (no `<style>` any more)."""
    colors = read_settings(PROJECT / "pelicanconf.py", {})["PARALLAX_COLORS"]
    css = (built_site / "theme" / "css" / "colors.css").read_text(encoding="utf-8")
    for side, colour in colors.items():
        assert f"--{side}:{colour};" in css
    for url, page in pages(built_site):
        links = page.find("link")
        sheets = [e.attrs.get("href") for e in links if e.attrs.get("rel") == "stylesheet"]
        assert "/theme/css/colors.css" in sheets, url
        assert sheets.index("/theme/css/colors.css") > sheets.index("/theme/css/site.css"), url


def test_colors_css_declares_each_side() -> None:
    css = colors_css({"left": "#c43d1a", "right": "#1d5fa8"})
    assert css == ":root{--left:#c43d1a;--right:#1d5fa8;}\n"


def test_every_width_class_a_page_uses_is_defined(built_site: Path) -> None:
    """Bias bars and meters are sized by `.pct-N` classes instead of style attributes:
    site.css defines 0…100, and pages use only those."""
    css = THEME_CSS.read_text(encoding="utf-8")
    for n in range(101):
        width = f"{n}%" if n else "0"
        assert f".pct-{n}{{width:{width}}}" in css, n
    used = {
        int(m.group(1))
        for _, page in pages(built_site)
        for e in page.elements
        for name in (e.attrs.get("class") or "").split()
        if (m := PCT.match(name))
    }
    assert used, "the bias bars use the width classes"
    assert used <= set(range(101)), used


# --- links to other sites -------------------------------------------------------


def external_links(page: Page) -> list[Element]:
    return [
        e for e in page.find("a")
        if urlsplit(e.attrs.get("href") or "").scheme in ("http", "https")
        and urlsplit(e.attrs.get("href") or "").netloc
    ]


def test_every_link_to_another_site_has_noopener_and_noreferrer(built_site: Path) -> None:
    checked, bare = 0, []
    for url, page in pages(built_site):
        for a in external_links(page):
            checked += 1
            rel = (a.attrs.get("rel") or "").split()
            if "noopener" not in rel or "noreferrer" not in rel:
                bare.append(f"{url}: {a.attrs}")
    assert checked > 20, "outlet pages and story sources link to other sites"
    assert not bare, bare


def test_outlet_and_article_links_are_among_them(built_site: Path) -> None:
    story = parse_page(built_site / "stories" / "harbour-strike" / "index.html")
    sources = [a for a in external_links(story) if "src-outlet" not in (a.attrs.get("class") or "")]
    assert sources, "a story links its articles"
    outlets = sorted((built_site / "outlets").glob("*/index.html"))
    websites = [a for path in outlets for a in external_links(parse_page(path))]
    assert websites, "outlet profiles link the outlets' websites"
    for a in sources + websites:
        assert {"noopener", "noreferrer"} <= set((a.attrs.get("rel") or "").split()), a
