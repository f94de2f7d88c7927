"""The whole built fixture site (tests/fixtures/site), against content-format.md §2–§3.

The site is built once per session (`sitebuild.built_site`). Assertions target what
the contract fixes — paths, links, JSON figures, feeds, sitemap, ids — not the
theme's markup.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
import yaml
from conftest import SPEC_STORY_JSON
from sitebuild import (
    DRAFT,
    DRAFT_MARK,
    FIXTURE,
    STORIES,
    TOPICS,
    build_site,
    file_of,
    html_files,
    parse_page,
    read_json,
    story_links,
    url_of,
)

pytestmark = pytest.mark.site
pytest_plugins = ("sitebuild",)  # the session fixtures `built_site`, `built_fixture`

OUTLET_KEYS = tuple(sorted(yaml.safe_load((FIXTURE / "outlets.yaml").read_text("utf-8"))))
#: Offset at the end of an ISO 8601 date-time: `+00:00`, `-04:00` or `Z`.
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _yaml_story(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(
        (FIXTURE / "stories" / relative).read_text("utf-8"), Loader=yaml.BaseLoader
    )
    return data


# --- §3: every path ---------------------------------------------------------------

CONTRACT_PATHS = [
    "/",
    *(f"/stories/{slug}/" for slug in STORIES),
    "/topics/",
    *(f"/topics/{slug}/" for slug in TOPICS),
    "/outlets/",
    *(f"/outlets/{key}/" for key in OUTLET_KEYS),
    "/blindspot/",
    "/search/",
    "/feeds/all.atom.xml",
    *(f"/feeds/topics/{slug}.atom.xml" for slug in TOPICS),
    "/sitemap.xml",
    "/robots.txt",
    "/404.html",
    "/api/stories.json",
    *(f"/api/stories/{slug}.json" for slug in STORIES),
    "/api/outlets.json",
]


@pytest.mark.parametrize("path", CONTRACT_PATHS)
def test_contract_path_exists(built_site: Path, path: str) -> None:
    target = file_of(built_site, path)
    assert target.is_file(), f"{path} is not served (no {target.relative_to(built_site)})"
    assert target.stat().st_size > 0


def test_no_staging_or_old_folders_beside_output(built_site: Path) -> None:
    leftovers = [p.name for p in built_site.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_only_published_stories_have_pages(built_site: Path) -> None:
    pages = sorted(p.name for p in (built_site / "stories").iterdir())
    assert pages == sorted(STORIES)
    jsons = sorted(p.stem for p in (built_site / "api" / "stories").glob("*.json"))
    assert jsons == sorted(STORIES)


def test_topic_pages_and_feeds_are_exactly_the_published_topics(built_site: Path) -> None:
    pages = sorted(p.name for p in (built_site / "topics").iterdir() if p.is_dir())
    feeds = sorted(p.name.removesuffix(".atom.xml")
                   for p in (built_site / "feeds" / "topics").glob("*.atom.xml"))
    assert pages == sorted(TOPICS)
    assert feeds == sorted(TOPICS)


def test_outlet_pages_are_the_registry(built_site: Path) -> None:
    pages = sorted(p.name for p in (built_site / "outlets").iterdir() if p.is_dir())
    assert pages == list(OUTLET_KEYS)


# --- §2/§3: the JSON figures ------------------------------------------------------


def test_story_a_is_the_spec_example(built_site: Path) -> None:
    """3 Left, 6 Center, 6 Right, 4 unrated → 20/40/40, 19 articles, 17 outlets."""
    data = read_json(built_site, "api/stories/istanbul-peace-talks.json")
    expected = {**SPEC_STORY_JSON, "title": "Istanbul peace talks end without a ceasefire"}
    assert {key: data[key] for key in expected} == expected
    # Maps list only non-zero values, plus `unrated`, in scale order.
    assert list(data["factuality"]) == ["very-high", "high", "unrated"]
    assert list(data["ownership"]) == ["media-conglomerate", "unrated"]


def test_story_a_sources_in_yaml_order_with_bias_and_bucket(built_site: Path) -> None:
    data = read_json(built_site, "api/stories/istanbul-peace-talks.json")
    written = _yaml_story("istanbul-peace-talks.yaml")["sources"]
    assert [(s["outlet"], s["title"], s["url"]) for s in data["sources"]] == [
        (s["outlet"], s["title"], s["url"]) for s in written
    ]
    first, reuters = data["sources"][0], data["sources"][1]
    assert first == {
        "outlet": "left-ledger", "title": "Talks open in Istanbul",
        "url": "https://example.org/a/01", "published": "2025-05-16T09:00:00+00:00",
        "excerpt": None, "bias": "left", "bucket": "left",
    }
    assert reuters["bias"] == reuters["bucket"] == "center"
    assert reuters["excerpt"] == "The first direct talks since 2022."
    # Naive date-times are UTC; offsets are kept as written.
    assert data["sources"][3]["published"] == "2025-05-16T08:00:00+00:00"
    assert data["sources"][2]["published"] == "2025-05-16T09:02:00+02:00"
    buckets = [s["bucket"] for s in data["sources"]]
    assert buckets.count("left") == 3 and buckets.count("center") == 6
    assert buckets.count("right") == 6 and buckets.count(None) == 4
    by_bias = {s["bias"] for s in data["sources"]}
    assert by_bias == {"far-left", "left", "lean-left", "center", "lean-right", "right",
                       "far-right", None}


def test_story_b_is_the_second_spec_example(built_site: Path) -> None:
    """1 Left, 3 Center, 3 Right → 14/43/43; per-article bias overrides count."""
    data = read_json(built_site, "api/stories/budget-vote.json")
    assert data["bias"] == {"left": {"count": 1, "percent": 14},
                            "center": {"count": 3, "percent": 43},
                            "right": {"count": 3, "percent": 43},
                            "unrated": 0}
    assert data["articles"] == 7 and data["outlets"] == 7
    assert data["blindspot"] is None  # Left 14 % ≤ 20 but Right 43 % < 50
    assert data["broke_the_news"] is None  # no source has `published`
    assert data["date"] == "2025-04-02T18:30:00-04:00"
    # `unrated` is present with 0 when every entry is rated.
    assert data["factuality"] == {"high": 2, "mostly-factual": 1, "mixed": 2, "low": 1,
                                  "very-low": 1, "unrated": 0}
    assert data["ownership"] == {"independent": 1, "media-conglomerate": 1,
                                 "private-equity": 1, "billionaire": 1, "government": 1,
                                 "telecom": 1, "non-profit": 1, "unrated": 0}
    overrides = {s["outlet"]: (s["bias"], s["bucket"]) for s in data["sources"]}
    assert overrides["telecom-news"] == ("center", "center")  # unrated outlet, overridden
    assert overrides["nonprofit-news"] == ("right", "right")  # lean-left outlet, overridden


def test_blindspots(built_site: Path) -> None:
    left = read_json(built_site, "api/stories/border-incident.json")
    assert left["blindspot"] == "left"
    assert [left["bias"][b]["percent"] for b in ("left", "center", "right")] == [0, 29, 71]
    right = read_json(built_site, "api/stories/harbour-strike.json")
    assert right["blindspot"] == "right"
    # 5/1/1: 71.4/14.3/14.3 → the extra point goes to the largest remainder (Left).
    assert [right["bias"][b]["percent"] for b in ("left", "center", "right")] == [72, 14, 14]


def test_no_rated_source_gives_null_percentages(built_site: Path) -> None:
    data = read_json(built_site, "api/stories/unrated-only.json")
    assert data["bias"] == {"left": {"count": 0, "percent": None},
                            "center": {"count": 0, "percent": None},
                            "right": {"count": 0, "percent": None},
                            "unrated": 2}
    assert data["blindspot"] is None


def test_full_story_json(built_site: Path) -> None:
    data = read_json(built_site, "api/stories/harbour-strike.json")
    assert data["date"] == "2025-06-01T10:00:00+02:00"
    assert data["updated"] == data["last_updated"] == "2025-06-03T08:15:00+00:00"
    assert data["location"] == "Rotterdam, Netherlands"
    assert data["topics"] == ["Economy", "Labour"]
    assert data["summary"].startswith("Dock workers walked out")
    assert len(data["key_points"]) == 3
    assert data["perspectives"] == [
        {"side": "left", "actor": None,
         "text": "Automation must not cost jobs without retraining.", "sources": [1, 2]},
        {"side": "right", "actor": None,
         "text": "The strike harms the port's competitiveness.", "sources": [7]},
        {"side": None, "actor": "Port Authority",
         "text": "Says the plan includes a retraining fund.", "sources": []},
    ]
    # The timeline is shown in date order whatever the YAML order.
    assert [e["date"] for e in data["timeline"]] == [
        "2025-05-20T00:00:00+00:00", "2025-06-01T06:00:00+00:00", "2025-06-02T00:00:00+00:00",
    ]
    assert data["broke_the_news"] == {"outlet": "indie-left",
                                      "published": "2025-06-01T06:45:00+00:00"}


def _dates(value: Any, key: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _dates(v, k)
    elif isinstance(value, list):
        for v in value:
            found += _dates(v, key)
    elif key in ("date", "updated", "published", "last_updated") and value is not None:
        found.append((key, value))
    return found


@pytest.mark.parametrize("relative", ["api/stories.json",
                                      *(f"api/stories/{s}.json" for s in STORIES)])
def test_json_dates_are_iso_8601_with_offset(built_site: Path, relative: str) -> None:
    dates = _dates(read_json(built_site, relative))
    assert dates
    for key, value in dates:
        assert isinstance(value, str) and OFFSET.search(value), (key, value)
        assert datetime.fromisoformat(value).tzinfo is not None, (key, value)


def test_stories_json_lists_published_stories_newest_first(built_site: Path) -> None:
    data = read_json(built_site, "api/stories.json")
    assert [s["slug"] for s in data] == list(STORIES)
    for entry in data:
        assert set(entry) >= {"slug", "title", "date", "url", "topics", "bias"}
        assert entry["url"] == f"/stories/{entry['slug']}/"
        story = read_json(built_site, f"api/stories/{entry['slug']}.json")
        for key in ("title", "date", "url", "topics", "bias"):
            assert entry[key] == story[key], (entry["slug"], key)


def test_outlets_json_is_the_registry(built_site: Path) -> None:
    data = read_json(built_site, "api/outlets.json")
    registry = yaml.load((FIXTURE / "outlets.yaml").read_text("utf-8"), Loader=yaml.BaseLoader)
    assert sorted(data) == sorted(registry)
    for key, outlet in registry.items():
        assert data[key] == outlet, key  # every field as written (all strings here)


def test_json_is_byte_stable_utf8(built_site: Path) -> None:
    """UTF-8 text (not \\u-escaped), compact, one final newline."""
    text = (built_site / "api/stories/istanbul-peace-talks.json").read_text("utf-8")
    assert '"location":"Istanbul, Türkiye"' in text
    assert text.endswith("}\n") and text.count("\n") == 1


# --- links --------------------------------------------------------------------------


def _internal(value: str) -> bool:
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc and not value.startswith("#")


def _srcset(value: str) -> list[str]:
    return [c.strip().split()[0] for c in value.split(",") if c.strip()]


def test_every_internal_link_resolves(built_site: Path) -> None:
    broken: list[str] = []
    ids: dict[Path, set[str]] = {}
    for page in html_files(built_site):
        base = "http://site.invalid" + url_of(built_site, page)
        parsed = parse_page(page)
        values = [(t, a, v) for t, a, v in parsed.links()]
        values += [(e.tag, "srcset", u) for e in parsed.elements
                   for u in _srcset(e.attrs.get("srcset") or "")]
        for tag, attribute, value in values:
            if not _internal(value.strip()):
                continue
            target_url = urlsplit(urljoin(base, value.strip()))
            target = file_of(built_site, unquote(target_url.path))
            where = f"{url_of(built_site, page)}: <{tag} {attribute}={value!r}>"
            if not target.is_file():
                broken.append(f"{where} → missing {target.relative_to(built_site)}")
            elif target_url.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = parse_page(target).ids()
                if unquote(target_url.fragment) not in ids[target]:
                    broken.append(f"{where} → no id {target_url.fragment!r} in the target")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_every_in_page_anchor_has_its_target(built_site: Path) -> None:
    """`href="#x"` needs an element with `id="x"` on the page (citations → `source-N`)."""
    broken: list[str] = []
    for page in html_files(built_site):
        parsed = parse_page(page)
        ids = parsed.ids()
        for _, attribute, value in parsed.links():
            anchor = attribute == "href" and value.startswith("#") and len(value) > 1
            if anchor and unquote(value[1:]) not in ids:
                broken.append(f"{url_of(built_site, page)}: {value}")
    assert not broken, "anchors without a target:\n" + "\n".join(broken)


def test_ids_are_unique_per_page(built_site: Path) -> None:
    for page in html_files(built_site):
        parsed = parse_page(page)
        ids = [e.attrs["id"] for e in parsed.elements if "id" in e.attrs]
        dupes = sorted({i for i in ids if ids.count(i) > 1 and i is not None})
        assert not dupes, f"{url_of(built_site, page)}: duplicate ids {dupes}"


@pytest.mark.parametrize("slug", STORIES)
def test_story_page_lists_every_source_with_its_id(built_site: Path, slug: str) -> None:
    """Each source entry N has `id="source-N"` and links to its article."""
    page = parse_page(built_site / "stories" / slug / "index.html")
    sources = read_json(built_site, f"api/stories/{slug}.json")["sources"]
    ids = page.ids()
    hrefs = {v for _, a, v in page.links() if a == "href"}
    for n, source in enumerate(sources, start=1):
        assert f"source-{n}" in ids, f"{slug}: no id source-{n}"
        assert source["url"] in hrefs, f"{slug}: no link to {source['url']}"


def test_citations_link_to_sources(built_site: Path) -> None:
    """Citations carry the story's own URL, so they also work from a feed reader."""
    page = parse_page(built_site / "stories" / "harbour-strike" / "index.html")
    hrefs = [v for _, a, v in page.links() if a == "href"]
    for n in (1, 2, 3, 4, 5, 6):
        assert f"/stories/harbour-strike/#source-{n}" in hrefs


def test_feed_citations_point_at_the_story(built_site: Path) -> None:
    feed = (built_site / "feeds" / "all.atom.xml").read_text("utf-8")
    assert "/stories/harbour-strike/#source-1" in feed
    assert 'href="#source-' not in feed


def test_story_pages_are_search_bodies_and_others_are_not(built_site: Path) -> None:
    for page in html_files(built_site):
        parsed = parse_page(page)
        marked = [e for e in parsed.elements if "data-pagefind-body" in e.attrs]
        if page.parent.parent.name == "stories" and page.parent.parent.parent == built_site:
            assert len(marked) == 1, url_of(built_site, page)
        else:
            assert not marked, f"{url_of(built_site, page)} would be indexed for search"
    entry = json.loads((built_site / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(STORIES)


@pytest.mark.parametrize("slug", STORIES)
def test_story_page_head(built_site: Path, slug: str) -> None:
    page = parse_page(built_site / "stories" / slug / "index.html")
    title = read_json(built_site, f"api/stories/{slug}.json")["title"]
    html = page.find("html")
    assert html and html[0].attrs.get("lang") == "en"
    assert any(m.attrs.get("charset", "").lower() == "utf-8" for m in page.find("meta"))
    titles = page.find("title")
    assert len(titles) == 1 and title in titles[0].text
    metas = {(m.attrs.get("name") or m.attrs.get("property")): m.attrs.get("content")
             for m in page.find("meta")}
    assert metas.get("description"), "no meta description"
    assert metas.get("og:title") == title
    canonical = [e.attrs.get("href") or "" for e in page.find("link")
                 if e.attrs.get("rel") == "canonical"]
    assert len(canonical) == 1 and canonical[0].endswith(f"/stories/{slug}/")


@pytest.mark.parametrize("slug", STORIES)
def test_story_json_ld(built_site: Path, slug: str) -> None:
    """schema.org NewsArticle: parses, and says what the API says."""
    page = parse_page(built_site / "stories" / slug / "index.html")
    story = read_json(built_site, f"api/stories/{slug}.json")
    blocks = [json.loads(s.text) for s in page.find("script")
              if s.attrs.get("type") == "application/ld+json"]
    articles = [b for b in blocks if b.get("@type") == "NewsArticle"]
    assert len(articles) == 1
    article = articles[0]
    assert article["headline"] == story["title"]
    assert article["datePublished"] == story["date"]
    assert article["dateModified"] == story["last_updated"]
    assert urlsplit(article["url"]).path == story["url"]


def test_home_page_lists_published_stories_newest_first(built_site: Path) -> None:
    page = parse_page(built_site / "index.html")
    assert story_links(page)[: len(STORIES)] == list(STORIES)
    assert not (built_site / "page").exists()  # 5 stories, 12 a page: one page


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_page_lists_its_stories(built_site: Path, topic: str) -> None:
    page = parse_page(built_site / "topics" / topic / "index.html")
    assert sorted(set(story_links(page))) == sorted(TOPICS[topic])


def test_topics_index_links_every_topic(built_site: Path) -> None:
    page = parse_page(built_site / "topics" / "index.html")
    hrefs = {urlsplit(v).path for _, a, v in page.links() if a == "href"}
    for topic in TOPICS:
        assert f"/topics/{topic}/" in hrefs, topic


def test_outlets_index_links_every_outlet(built_site: Path) -> None:
    page = parse_page(built_site / "outlets" / "index.html")
    hrefs = {urlsplit(v).path for _, a, v in page.links() if a == "href"}
    for key in OUTLET_KEYS:
        assert f"/outlets/{key}/" in hrefs, key


def test_outlet_page_lists_the_stories_it_covered(built_site: Path) -> None:
    page = parse_page(built_site / "outlets" / "reuters" / "index.html")
    assert set(story_links(page)) == {"harbour-strike", "istanbul-peace-talks",
                                      "border-incident"}
    silent = parse_page(built_site / "outlets" / "silent-outlet" / "index.html")
    assert story_links(silent) == []


def test_blindspot_page_links_both_blindspots(built_site: Path) -> None:
    page = parse_page(built_site / "blindspot" / "index.html")
    assert set(story_links(page)) == {"border-incident", "harbour-strike"}


def test_story_page_links_related_stories(built_site: Path) -> None:
    """harbour-strike shares Economy with budget-vote and Labour with unrated-only."""
    page = parse_page(built_site / "stories" / "harbour-strike" / "index.html")
    assert {"budget-vote", "unrated-only"} <= set(story_links(page))


# --- feeds ----------------------------------------------------------------------------


def _feed(site: Path, relative: str) -> Any:
    parsed = feedparser.parse((site / relative).read_bytes())
    assert not parsed.bozo, f"{relative}: {parsed.get('bozo_exception')}"
    return parsed


def _entry_slugs(parsed: Any) -> list[str]:
    slugs = []
    for entry in parsed.entries:
        path = urlsplit(entry.link).path
        assert re.fullmatch(r"/stories/[a-z0-9-]+/", path), entry.link
        slugs.append(path.split("/")[2])
    return slugs


def test_main_feed_has_every_published_story(built_site: Path) -> None:
    parsed = _feed(built_site, "feeds/all.atom.xml")
    assert parsed.version == "atom10"
    assert _entry_slugs(parsed) == list(STORIES)
    for entry in parsed.entries:
        assert entry.title and entry.id and entry.updated
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
    titles = {e.title for e in parsed.entries}
    assert "Harbour workers strike over automation plans" in titles


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_feed_has_the_topic_stories(built_site: Path, topic: str) -> None:
    parsed = _feed(built_site, f"feeds/topics/{topic}.atom.xml")
    assert sorted(_entry_slugs(parsed)) == sorted(TOPICS[topic])


def test_feed_summary_is_the_sanitized_summary(built_site: Path) -> None:
    root = ET.parse(built_site / "feeds" / "all.atom.xml").getroot()
    entry = next(e for e in root.iter(f"{ATOM}entry")
                 if e.findtext(f"{ATOM}title", "").startswith("Harbour"))
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None and summary.get("type") == "html"
    assert "<em>automated cranes</em>" in (summary.text or "")
    assert 'href="https://example.org/port-plan"' in (summary.text or "")


# --- sitemap and robots ---------------------------------------------------------------


def _sitemap_paths(site: Path) -> list[str]:
    root = ET.parse(site / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset"
    return [urlsplit(loc.text or "").path for loc in root.iter(f"{SITEMAP}loc")]


def test_sitemap_lists_every_published_story_and_not_the_draft(built_site: Path) -> None:
    paths = _sitemap_paths(built_site)
    for slug in STORIES:
        assert f"/stories/{slug}/" in paths, slug
    assert not [p for p in paths if DRAFT in p or "draft-only-topic" in p]
    assert len(paths) == len(set(paths))


def test_sitemap_urls_resolve(built_site: Path) -> None:
    for path in _sitemap_paths(built_site):
        assert file_of(built_site, path).is_file(), path


def test_sitemap_lists_no_noindex_page(built_site: Path) -> None:
    listed = []
    for path in _sitemap_paths(built_site):
        page = parse_page(file_of(built_site, path))
        robots = " ".join(m.attrs.get("content") or "" for m in page.find("meta")
                          if (m.attrs.get("name") or "").lower() == "robots")
        if "noindex" in robots.lower():
            listed.append(path)
    assert listed == []


def test_robots_txt_points_to_the_sitemap(built_site: Path) -> None:
    text = (built_site / "robots.txt").read_text("utf-8")
    lines = text.splitlines()
    assert "User-agent: *" in lines
    sitemap = [line for line in lines if line.lower().startswith("sitemap:")]
    assert len(sitemap) == 1
    url = sitemap[0].split(":", 1)[1].strip()
    assert url.endswith("/sitemap.xml")
    assert urlsplit(url).scheme in ("http", "https"), "robots.txt needs an absolute URL"
    assert not any(line.strip().lower() == "disallow: /" for line in lines)


def test_robots_txt_uses_siteurl_when_published(tmp_path: Path) -> None:
    from generator.render import robots_txt

    text = robots_txt({"SITEURL": "https://news.example.org/", "FEED_DOMAIN": "x"})
    assert "Sitemap: https://news.example.org/sitemap.xml" in text.splitlines()
    text = robots_txt({"SITEURL": "", "FEED_DOMAIN": "http://localhost:8000"})
    assert "Sitemap: http://localhost:8000/sitemap.xml" in text.splitlines()


# --- drafts -------------------------------------------------------------------------


def _texts(site: Path) -> list[tuple[Path, str]]:
    """Every output file as text; Pagefind's gzipped index files decompressed."""
    found = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        found.append((path, data.decode("utf-8", "replace")))
    return found


def test_draft_is_absent_everywhere(built_site: Path) -> None:
    """No page, no JSON, no feed entry, no sitemap entry, no search entry, no topic."""
    for path, text in _texts(built_site):
        where = path.relative_to(built_site)
        assert DRAFT_MARK not in text, f"the draft leaks into {where}"
        assert DRAFT not in text, f"the draft's slug appears in {where}"
        assert "draft-only-topic" not in text and "Draft Only Topic" not in text, where
    assert not (built_site / "stories" / DRAFT).exists()
    assert not (built_site / "topics" / "draft-only-topic").exists()
    assert not (built_site / "feeds" / "topics" / "draft-only-topic.atom.xml").exists()


def test_draft_outlet_page_lists_no_story(built_site: Path) -> None:
    """The outlet only the draft cites has a profile, with no story on it."""
    page = parse_page(built_site / "outlets" / "draft-only-outlet" / "index.html")
    assert story_links(page) == []


def test_build_reports_the_fixture_warnings(built_fixture: tuple[Path, Any]) -> None:
    _, report = built_fixture
    assert report.stories == len(STORIES)
    messages = sorted(p.message for p in report.warnings)
    assert messages == ["no source of this story is rated for bias",
                        "outlet 'silent-outlet' is not cited by any story"]


# --- pagination ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def paginated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output, _ = build_site(FIXTURE, tmp_path_factory.mktemp("paginated"),
                           DEFAULT_PAGINATION=2)
    return output


def test_home_page_paginates(paginated_site: Path) -> None:
    pages = [paginated_site / "index.html",
             paginated_site / "page" / "2" / "index.html",
             paginated_site / "page" / "3" / "index.html"]
    assert all(p.is_file() for p in pages)
    assert not (paginated_site / "page" / "4").exists()
    assert not (paginated_site / "page" / "1").exists()  # page 1 is `/`
    seen = [story_links(parse_page(p)) for p in pages]
    assert [len(s) for s in seen] == [2, 2, 1]
    assert [slug for s in seen for slug in s] == list(STORIES)


def test_pages_link_to_each_other(paginated_site: Path) -> None:
    first = parse_page(paginated_site / "index.html")
    second = parse_page(paginated_site / "page" / "2" / "index.html")
    third = parse_page(paginated_site / "page" / "3" / "index.html")

    def paths(page: Any) -> set[str]:
        return {urlsplit(v).path for _, a, v in page.links() if a == "href"}

    assert "/page/2/" in paths(first)
    assert {"/", "/page/3/"} <= paths(second)
    assert "/page/2/" in paths(third)


@pytest.mark.parametrize(
    ("slug", "sentence"),
    [
        # The seed's phrasing for the spec's second example (1 Left, 3 Center, 3 Right).
        ("budget-vote", "14% of the sources lean Left, 43% of the sources are Center, "
                        "43% of the sources lean Right."),
        ("istanbul-peace-talks", "20% of the sources lean Left, 40% of the sources are "
                                 "Center, 40% of the sources lean Right."),
        ("unrated-only", "Not enough rated sources"),
    ],
)
def test_story_page_states_the_bias_in_words(built_site: Path, slug: str, sentence: str) -> None:
    page = (built_site / "stories" / slug / "index.html").read_text("utf-8")
    found = re.search(r'class="bias-sentence">([^<]*)<', page)
    assert found and found.group(1).startswith(sentence)
