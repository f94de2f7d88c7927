"""The built site in a real browser: charts, the bias filter (with and without
JavaScript), search, console errors, the Content-Security-Policy (enforced, and never
tripped, at the root and under a sub-path), accessibility (axe) and narrow screens.

Drives Debian's chromium through Playwright; one site is built and served for the
whole module. Run with `pytest tests/test_browser.py -q` (marker `browser`).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

sync_api = pytest.importorskip("playwright.sync_api")
# Imported now, not in the test: a build sets Pelican's LOCALE ("C"), after which
# Python reads files as ASCII by default, and axe's loader reads its script that way.
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

PROJECT = Path(__file__).resolve().parent.parent
CONTENT = PROJECT / "content"
FIXTURE = PROJECT / "tests" / "fixtures" / "site"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WORD = re.compile(r"[A-Za-z]{7,}")


@dataclass(frozen=True)
class Site:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    root: Path  # the built output folder
    story: dict[str, Any]  # /api/stories/<slug>.json of the story the tests use
    stories: list[dict[str, Any]]  # /api/stories.json

    def api(self, relative: str) -> Any:
        return json.loads((self.root / relative).read_text(encoding="utf-8"))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on a free local port: its address. Bound at once, so a site
    that must know its own address can be built after (the folder is read per request)."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _pick_story(root: Path, stories: list[dict[str, Any]]) -> dict[str, Any]:
    """A story with Left articles and others too, so the filter has work to do."""
    for entry in stories:
        bias = entry["bias"]
        others = bias["center"]["count"] + bias["right"]["count"] + bias["unrated"]
        if bias["left"]["count"] and others:
            data: dict[str, Any] = json.loads(
                (root / "api" / "stories" / f"{entry['slug']}.json").read_text("utf-8")
            )
            return data
    pytest.skip("no story has both Left and other articles")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from generator.build import Options, build

    tmp = tmp_path_factory.mktemp("browser")
    out = tmp / "out"
    build(Options(content=CONTENT, output=out, work=tmp / "work"))
    stories = json.loads((out / "api" / "stories.json").read_text("utf-8"))
    try:
        with serving(out) as url:
            yield Site(url, out, _pick_story(out, stories), stories)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    yield ctx
    ctx.close()


def story_path(site: Site) -> str:
    return str(site.story["url"])


def outlet_path(site: Site) -> str:
    return f"/outlets/{site.story['sources'][0]['outlet']}/"


def topic_path(site: Site, page: Any) -> str:
    """The first topic link of the story page (topic slugs are the site's business)."""
    page.goto(site.url + story_path(site))
    href = page.locator(".chips a").first.get_attribute("href")
    assert href, "the story page links its topics"
    return re.sub(r"^https?://[^/]+", "", href)


# --- charts ---------------------------------------------------------------------


def test_story_page_shows_its_charts(site: Site, context: Any) -> None:
    if not (site.root / "charts").is_dir():
        pytest.skip("charts are not integrated into the build yet")
    page = context.new_page()
    page.goto(site.url + story_path(site))
    charts = page.locator("img.chart")
    assert charts.count() >= 1, "the bias chart is on the page"
    for i in range(charts.count()):
        img = charts.nth(i)
        img.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=img.element_handle())
        assert img.evaluate("img => img.naturalWidth") > 0, img.get_attribute("src")
        assert (img.get_attribute("alt") or "").strip(), "every chart has a text alternative"
    bias = page.locator(".story-bias")
    assert "%" in bias.inner_text() or "not enough rated sources" in bias.inner_text().lower()


# --- the bias filter ------------------------------------------------------------


def _visible_buckets(page: Any) -> list[str]:
    return [
        str(b)
        for b in page.eval_on_selector_all(
            ".src-list > li",
            "items => items.filter(li => li.offsetParent !== null).map(li => li.dataset.bucket)",
        )
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_bias_filter(site: Site, browser: Any, javascript: bool) -> None:
    ctx = browser.new_context(java_script_enabled=javascript)
    try:
        page = ctx.new_page()
        page.goto(site.url + story_path(site))
        total = len(site.story["sources"])
        lefts = sum(1 for s in site.story["sources"] if s["bucket"] == "left")
        assert len(_visible_buckets(page)) == total

        page.click('label[for="side-left"]')
        shown = _visible_buckets(page)
        assert shown == ["left"] * lefts
        assert page.is_checked("#side-left")
        if javascript:
            status = page.locator(".filter-status")
            assert status.get_attribute("aria-live") == "polite"
            assert status.inner_text().startswith(f"Showing {lefts} of {total} article")

        page.click('label[for="side-all"]')
        assert len(_visible_buckets(page)) == total
        if javascript:
            assert (
                page.locator(".filter-status")
                .inner_text()
                .startswith(f"Showing {total} of {total} article")
            )
    finally:
        ctx.close()


def test_citation_shows_a_filtered_out_article(site: Site, context: Any) -> None:
    """A key point's citation lands on its article even when a filter hid it."""
    page = context.new_page()
    page.goto(site.url + story_path(site))
    other = next((s for s in site.story["sources"] if s["bucket"] != "left"), None)
    if other is None:
        pytest.skip("every article is Left")
    index = site.story["sources"].index(other) + 1
    page.click('label[for="side-left"]')
    page.evaluate("n => { location.hash = 'source-' + n; }", index)
    assert page.locator(f"#source-{index}").is_visible()


# --- search ---------------------------------------------------------------------


def _distinctive_word(site: Site) -> str:
    """A long word of the story's key points that no other story's title uses."""
    others = " ".join(s["title"] for s in site.stories if s["slug"] != site.story["slug"]).lower()
    words = WORD.findall(" ".join(site.story["key_points"]))
    words.sort(key=len, reverse=True)
    return next((w for w in words if w.lower() not in others), words[0])


def _search(page: Any, word: str) -> list[str]:
    """Type `word` into Pagefind's box; the hrefs of its results."""
    field = page.locator(".pagefind-ui__search-input")
    field.wait_for()
    field.fill(word)
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
    return [
        str(href) for href in page.eval_on_selector_all(
            ".pagefind-ui__result-link", "links => links.map(a => a.getAttribute('href'))")
    ]


def test_search_finds_a_story_by_a_word_of_its_key_points(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto(site.url + "/search/")
    links = _search(page, _distinctive_word(site))
    assert any(story_path(site) in href for href in links), links


def test_search_page_says_it_needs_javascript(site: Site, browser: Any) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/search/")
        assert "Search needs JavaScript" in page.locator("main").inner_text()
    finally:
        ctx.close()


# --- console errors -------------------------------------------------------------


def test_no_console_errors(site: Site, context: Any) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    paths = ["/", story_path(site), outlet_path(site), topic_path(site, page), "/search/"]
    for path in paths:
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert errors == []


def test_no_request_leaves_the_site(site: Site, context: Any) -> None:
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site.url) else outside.append(r.url))
    for path in ["/", story_path(site), "/search/"]:
        page.goto(site.url + path)
        page.wait_for_load_state("networkidle")
    assert outside == []


# --- Content-Security-Policy ----------------------------------------------------

#: Runs before any script of the page: records every violation the policy reports.
WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` (${e.sourceFile}:${e.lineNumber})`);
});
"""
#: As if workers failed: Pagefind then compiles its WebAssembly in the page itself.
NO_WORKERS = "window.Worker = function () { throw new Error('no workers here'); };"


class PolicyWatch:
    """A page whose policy violations are collected across navigations, from the
    `securitypolicyviolation` events and from the console."""

    def __init__(self, context: Any, *scripts: str) -> None:
        self.page = context.new_page()
        for script in (WATCH_POLICY, *scripts):
            self.page.add_init_script(script)
        self.seen: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if re.search(r"Content[ -]Security[ -]Policy", message.text, re.I):
            self.seen.append(f"console: {message.text}")

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.collect()

    def collect(self) -> None:
        here = self.page.url
        self.seen += [f"{here}: {v}" for v in self.page.evaluate("window.__violations")]
        self.page.evaluate("window.__violations.length = 0")


def test_no_page_trips_the_policy(site: Site, context: Any) -> None:
    """Home, story, topic, outlet and the other pages, and a search: nothing is
    blocked, and the theme's script and Pagefind still work under the policy."""
    watch = PolicyWatch(context)
    page = watch.page
    topic = topic_path(site, page)
    for path in ["/", topic, outlet_path(site), "/outlets/", "/topics/", "/blindspot/",
                 "/methodology/", "/about/", "/404.html"]:
        watch.visit(site.url + path)
    watch.visit(site.url + story_path(site))
    assert page.locator(".filter-status").inner_text().startswith("Showing"), "site.js ran"
    watch.visit(site.url + "/search/")
    assert any(story_path(site) in href for href in _search(page, _distinctive_word(site)))
    assert page.locator(".search-label").is_visible(), "site.js tied the label to the box"
    watch.collect()
    assert watch.seen == []


def test_search_in_the_page_itself_is_allowed_too(site: Site, context: Any) -> None:
    """Without a worker (or when it is slow to start) Pagefind compiles its
    WebAssembly in the page: 'wasm-unsafe-eval' is what allows that."""
    watch = PolicyWatch(context, NO_WORKERS)
    watch.visit(site.url + "/search/")
    assert any(story_path(site) in h for h in _search(watch.page, _distinctive_word(site)))
    watch.collect()
    assert watch.seen == []


def test_the_policy_is_enforced(site: Site, context: Any) -> None:
    """Markup injected into a page cannot run script or style it: the policy is
    really in force, not only written down."""
    watch = PolicyWatch(context)
    watch.visit(site.url + story_path(site))
    outcome = watch.page.evaluate("""() => {
      const script = document.createElement("script");
      script.textContent = "window.__ran = true;";
      document.body.append(script);
      const styled = document.createElement("p");
      styled.setAttribute("style", "color: rgb(1, 2, 3)");
      document.body.append(styled);
      const handler = document.createElement("img");
      handler.setAttribute("onerror", "window.__ran = true;");
      handler.src = "/no-such-image.png";
      document.body.append(handler);
      // Code run by page.evaluate may eval; a listener the page calls may not.
      document.addEventListener("click", () => {
        try { eval("1"); window.__evaluated = true; } catch (e) { window.__evaluated = false; }
      }, {once: true});
      return {ran: window.__ran === true, colour: getComputedStyle(styled).color};
    }""")
    watch.page.locator("h1").click()  # the story's title: no link, a real click
    # Violation events are queued tasks: wait for the four (handler, eval and the
    # two elements) before reading them.
    watch.page.wait_for_function("window.__evaluated !== undefined")
    watch.page.wait_for_function("window.__violations.length >= 4")
    evaluated = watch.page.evaluate("window.__evaluated")
    watch.collect()
    assert outcome["ran"] is False and evaluated is False
    assert outcome["colour"] != "rgb(1, 2, 3)"
    blocked = " ".join(watch.seen)
    for what in ("script-src-elem blocked inline", "style-src-attr blocked inline",
                 "script-src-attr blocked inline", "script-src blocked eval"):
        assert what in blocked, watch.seen
    assert "console: " in blocked, "the console reports violations too"


SubPathSite = tuple[str, dict[str, str]]


@pytest.fixture(scope="module")
def sub_path_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubPathSite]:
    """The fixture site published under /news/ (as on GitHub Pages), with Left and
    Right swapped; yields its address and its colours. (The server is bound first:
    the site is built for its port.)"""
    from generator.build import Options, build

    root = tmp_path_factory.mktemp("sub-path")
    colours = {"left": "#c43d1a", "center": "#9ca3af", "right": "#1d5fa8", "unrated": "#dcdfe3"}
    with serving(root) as address:
        url = address + "/news"
        build(Options(content=FIXTURE, output=root / "news", work=root / "work",
                      extra_settings={"SITEURL": url, "PARALLAX_COLORS": colours}))
        yield url, colours


def test_the_policy_holds_under_a_sub_path(sub_path_site: SubPathSite, context: Any) -> None:
    """'self' is the origin: published under a sub-path, pages, search and the
    palette (a stylesheet now, not inline) work, and nothing is blocked."""
    url, colours = sub_path_site
    watch = PolicyWatch(context)
    for path in ["/", "/stories/harbour-strike/", "/outlets/", "/methodology/"]:
        watch.visit(url + path)
        left = watch.page.evaluate(
            "getComputedStyle(document.documentElement).getPropertyValue('--left').trim()")
        assert left == colours["left"], path
    watch.visit(url + "/search/")
    assert any("/news/stories/harbour-strike/" in h for h in _search(watch.page, "harbour"))
    watch.collect()
    assert watch.seen == []


# --- accessibility --------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations(site: Site, browser: Any, scheme: str) -> None:
    axe = axe_sync.Axe()
    ctx = browser.new_context(color_scheme=scheme)
    try:
        page = ctx.new_page()
        found = {}
        for path in ["/", story_path(site), outlet_path(site), "/search/"]:
            page.goto(site.url + path)
            page.wait_for_load_state("networkidle")
            results = axe.run(page)
            if results.violations_count:
                found[path] = results.generate_report()
        for path, report in found.items():
            print(f"--- axe ({scheme}) {path}\n{report}")
        assert not found, f"axe violations ({scheme}) on {sorted(found)}"
    finally:
        ctx.close()


# --- narrow screens -------------------------------------------------------------


def test_no_horizontal_scroll_at_360px(site: Site, browser: Any) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = ctx.new_page()
        wide = {}
        for path in ["/", story_path(site), "/outlets/", outlet_path(site)]:
            page.goto(site.url + path)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide[path] = width
        assert wide == {}
    finally:
        ctx.close()


# --- hostile text in search results ---------------------------------------------------


@pytest.fixture(scope="module")
def hostile_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hostile corpus (tests/sitebuild.py) built with its search index, served."""
    from sitebuild import build_site, hostile_content

    tmp = tmp_path_factory.mktemp("hostile-browser")
    out, _ = build_site(hostile_content(tmp / "content"), tmp)
    with serving(out) as url:
        yield url


@pytest.mark.parametrize("query", ["alert", "script", "svg onload", "bold"])
def test_search_results_show_hostile_text_as_text(
    hostile_served: str, context: Any, query: str
) -> None:
    """Pagefind indexes the page's text, which holds the payloads as characters; its
    excerpts and titles must show them as text: no element but Pagefind's own
    `<mark>` appears in a result, no dialog opens, nothing trips the policy."""
    watch = PolicyWatch(context)
    page = watch.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    watch.visit(hostile_served + "/search/")
    assert _search(page, query), "the hostile story is found"
    page.wait_for_timeout(300)  # let excerpts render
    tags = page.eval_on_selector_all(
        ".pagefind-ui__result-title, .pagefind-ui__result-excerpt",
        "nodes => nodes.flatMap(n => [...n.querySelectorAll('*')].map(e => e.localName))")
    assert set(tags) <= {"mark", "a"}, tags
    text = " ".join(page.locator(".pagefind-ui__result-excerpt").all_inner_texts())
    assert "alert(1)" in text  # shown, as characters
    watch.collect()
    assert dialogs == [] and watch.seen == []
