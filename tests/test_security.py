"""Hostile editor text cannot inject markup, script or Pelican metadata.

`sitebuild.hostile_content` puts markup and script payloads in every string an editor
writes (story title, location, topics, summary, key points, perspectives, timeline,
source title/URL/excerpt, outlet name/URL/owner/rated_by, a page), plus multi-line
values that would be Pelican metadata lines. The site is built with the real
pipeline and EVERY output file is scanned (Pagefind's own bundle aside).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import STORY, Entry, run_cli, snapshot, write_content
from sitebuild import (
    HOSTILE,
    HOSTILE_SLUG,
    HOSTILE_URL,
    INJECTION,
    MORE_PAYLOADS,
    PAYLOADS,
    Page,
    build_site,
    hostile_content,
    url_of,
)

from generator.build import BuildFailed, Options, build, read_settings
from generator.load import load_content
from generator.markdown import story_markdown

pytestmark = pytest.mark.site
pytest_plugins = ("sitebuild",)  # the session fixture `hostile_site`

PROJECT = Path(__file__).resolve().parent.parent
#: Attributes whose value is a URL a browser may follow or load.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data",
                  "cite", "background", "srcset", "ping"}
FORBIDDEN_TAGS = {"iframe", "frame", "object", "embed", "base", "applet"}
_URL_NOISE = re.compile(r"[\x00-\x20]")


def _dangerous_url(value: str) -> bool:
    compact = _URL_NOISE.sub("", value).lower()
    return compact.startswith(("javascript:", "vbscript:", "data:text/html", "livescript:"))


def _site_script(src: str) -> bool:
    """The site's own scripts: the theme's and Pagefind's, by path."""
    path = urlsplit(src).path
    return not urlsplit(src).netloc and path.startswith(("/theme/js/", "/pagefind/"))


def html_problems(html: str, where: str) -> list[str]:
    """Executable markup in one HTML document (or fragment)."""
    problems = []
    page = Page(html)
    for element in page.elements:
        tag, attrs = element.tag, element.attrs
        if tag in FORBIDDEN_TAGS:
            problems.append(f"{where}: <{tag}> element")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}: <meta http-equiv=refresh>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"{where}: <{tag} {name}={value!r}> (event handler)")
            if name in URL_ATTRIBUTES and value and _dangerous_url(value):
                problems.append(f"{where}: <{tag} {name}={value!r}>")
            if name == "style" and value and "javascript:" in value.lower():
                problems.append(f"{where}: <{tag} style={value!r}>")
        if tag == "script":
            kind = (attrs.get("type") or "").lower()
            if kind == "application/ld+json":
                try:
                    json.loads(element.text)
                except ValueError as exc:
                    problems.append(f"{where}: JSON-LD does not parse ({exc})")
                if "<" in element.text:
                    problems.append(f"{where}: JSON-LD with a raw '<'")
            elif not (attrs.get("src") and _site_script(attrs["src"] or "")):
                problems.append(f"{where}: <script {attrs}> {element.text[:80]!r}")
            elif element.text.strip():
                problems.append(f"{where}: inline code in <script src>")
    if "1337" in html:
        problems.append(f"{where}: a template expression was evaluated (7*191)")
    return problems


def xml_problems(path: Path, where: str) -> list[str]:
    """Feeds, sitemap, SVG: well-formed, no script element, no handler, no
    `javascript:` link; the HTML inside Atom `type="html"` elements scanned as HTML."""
    problems = []
    root = ET.parse(path).getroot()
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("script", "foreignObject", *FORBIDDEN_TAGS):
            problems.append(f"{where}: <{local}> element")
        for name, value in element.attrib.items():
            local_name = name.rsplit("}", 1)[-1]
            if local_name.startswith("on"):
                problems.append(f"{where}: <{local} {local_name}> (event handler)")
            if local_name in ("href", "src") and _dangerous_url(value):
                problems.append(f"{where}: <{local} {local_name}={value!r}>")
        if element.get("type") in ("html", "xhtml") and element.text:
            problems += html_problems(element.text, f"{where} <{local} type=html>")
    return problems


def output_files(site: Path) -> list[Path]:
    return sorted(
        p for p in site.rglob("*")
        if p.is_file() and "pagefind" not in p.relative_to(site).parts
    )


def test_every_output_file_is_free_of_executable_markup(hostile_site: Path) -> None:
    problems: list[str] = []
    kinds: set[str] = set()
    for path in output_files(hostile_site):
        where = path.relative_to(hostile_site).as_posix()
        suffix = path.suffix
        kinds.add(suffix)
        if suffix == ".html":
            problems += html_problems(path.read_text("utf-8"), where)
        elif suffix in (".xml", ".svg"):
            problems += xml_problems(path, where)
        elif suffix == ".json":
            text = path.read_text("utf-8")
            json.loads(text)
            if "<" in text or ">" in text:
                problems.append(f"{where}: raw '<' or '>' in JSON (write \\u003c)")
        elif suffix in (".txt", ".css", ".js"):
            text = path.read_text("utf-8")
            if "alert(" in text:
                problems.append(f"{where}: editor text in a {suffix} file")
        elif suffix in (".png", ".jpg", ".webp", ".ico", ".woff2"):
            continue
        else:
            problems.append(f"{where}: unexpected kind of file")
    assert {".html", ".xml", ".json"} <= kinds
    assert not problems, "executable markup in the output:\n" + "\n".join(problems)


def test_the_payloads_are_shown_as_text(hostile_site: Path) -> None:
    """Escaped, not dropped: the reader sees exactly what the editor wrote."""
    page = Page((hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8"))
    h1 = (hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h1
    assert "&lt;b&gt;bold&lt;/b&gt;" in h1  # autoescape: `<b>` in a variable is text
    assert "<b>bold</b>" not in h1
    assert HOSTILE in page.find("title")[0].text
    # The source link keeps its hostile URL as an attribute value, quoted and escaped.
    hrefs = [e.attrs.get("href") for e in page.find("a")]
    assert HOSTILE_URL in hrefs


def test_json_ld_parses_and_carries_the_plain_title(hostile_site: Path) -> None:
    page = Page((hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8"))
    blocks = [s for s in page.find("script")
              if (s.attrs.get("type") or "").lower() == "application/ld+json"]
    for block in blocks:
        data = json.loads(block.text)
        if data.get("@type") == "NewsArticle":
            assert data["headline"] == HOSTILE


def test_api_json_carries_the_editor_text_exactly(hostile_site: Path) -> None:
    data = json.loads((hostile_site / "api" / "stories" / f"{HOSTILE_SLUG}.json").read_text())
    assert data["title"] == HOSTILE
    assert data["location"] == HOSTILE
    assert data["sources"][0]["url"] == HOSTILE_URL
    assert data["sources"][0]["title"] == HOSTILE
    outlets = json.loads((hostile_site / "api" / "outlets.json").read_text())
    assert outlets["evil"]["owner"] == HOSTILE


def test_feed_titles_are_the_plain_text(hostile_site: Path) -> None:
    """Pelican strips tags from titles it takes for HTML; a story title is plain text."""
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.parse(hostile_site / "feeds" / "all.atom.xml").getroot()
    titles = [e.findtext(f"{atom}title") for e in root.iter(f"{atom}entry")]
    assert titles == [HOSTILE]


def test_editor_links_keep_only_safe_schemes(hostile_site: Path) -> None:
    html = (hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8")
    body = html.split('class="story-body', 1)[1] if 'class="story-body' in html else html
    hrefs = [e.attrs.get("href") or "" for e in Page(body).find("a")]
    assert "https://example.org/ok" in hrefs
    for href in hrefs:
        assert not href.startswith(("javascript", "vbscript", "data", "//", "/relative")), href


def test_page_raw_html_is_sanitized(hostile_site: Path) -> None:
    """Pages (About, Methodology) may hold raw HTML; the allowlist still applies, and a
    backslash link (`/\\evil.example` = `//evil.example`) is not a relative link."""
    html = (hostile_site / "evil-page" / "index.html").read_text("utf-8")
    assert not html_problems(html, "evil-page")
    hrefs = [e.attrs.get("href") or "" for e in Page(html).find("a")]
    assert not [h for h in hrefs if "evil.example" in h]
    assert "<p onclick" not in html and "<iframe" not in html


# --- metadata injection ---------------------------------------------------------------


MULTI_LINE_TITLE = """\
title: "Quiet title\\nStatus: draft\\nTemplate: evil"
date: 2025-05-16
key_points: [A point.]
sources:
  - outlet: plain
    title: A plain article
    url: https://example.org/t
"""


def test_multi_line_title_is_rejected(tmp_path: Path) -> None:
    root = hostile_content(tmp_path / "content")
    (root / "stories" / "injected.yaml").write_text(MULTI_LINE_TITLE, "utf-8")
    result = load_content(root)
    assert result.content is None
    assert [(p.path.name, p.line, p.col, p.message) for p in result.errors] == [
        ("injected.yaml", 1, 8, "title: must be a single line (no line breaks)")
    ]
    with pytest.raises(BuildFailed) as failed:
        build(Options(content=root, output=tmp_path / "out", work=tmp_path / "work",
                      cache=None))
    assert [p.message for p in failed.value.problems] == [
        "title: must be a single line (no line breaks)"
    ]
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "work").exists()  # nothing written before validation
    done = run_cli("check", "--content", root)
    assert done.returncode == 1
    assert re.search(r"stories/injected\.yaml:1:8: error: title: must be a single line",
                     done.stderr), done.stderr


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b",
                                     "\x0c", "\x1c"])
def test_every_line_break_in_single_line_fields_is_rejected(tmp_path: Path,
                                                            newline: str) -> None:
    """Written as YAML escapes in double quotes (JSON strings are YAML), so the break
    reaches the loader as written; each single-line field is refused, by name."""
    root = hostile_content(tmp_path / "content")

    def quoted(text: str) -> str:
        return json.dumps(text.replace("|", newline))

    (root / "stories" / "breaks.yaml").write_text(f"""\
title: {quoted("Quiet|Status: draft")}
date: 2025-05-16
location: {quoted("Here|Template: evil")}
topics: [{quoted("A|Slug: x")}]
key_points: [A point.]
perspectives:
  - actor: {quoted("B|Save_as: x")}
    text: Fine.
sources:
  - outlet: plain
    title: {quoted("T|Status: hidden")}
    url: https://example.org/breaks
""", "utf-8")
    result = load_content(root)
    assert result.content is None
    where = sorted(p.message.split(":", 1)[0] for p in result.errors)
    assert where == ["location", "perspectives[0].actor", "sources[0].title", "title",
                     "topics[0]"]


def test_multi_line_text_never_reaches_the_metadata(tmp_path: Path) -> None:
    """Summary, key points, perspectives, timeline and excerpts may span lines: the
    generated Markdown still has exactly our metadata block."""
    from generator.build import thresholds
    from generator.figures import site_figures

    root = hostile_content(tmp_path / "content")
    content = load_content(root).content
    assert content is not None
    settings = read_settings(PROJECT / "pelicanconf.py", {})
    site = site_figures(content.stories, content.outlets, thresholds(settings))
    text = story_markdown(site.story(HOSTILE_SLUG))
    header, body = text.split("\n\n", 1)
    keys = [line.split(":", 1)[0] for line in header.splitlines()]
    assert keys == ["Title", "Date", "Slug", "Story", "Template"]
    assert header.splitlines()[-1] == "Template: story"
    for line in body.splitlines():
        assert not re.match(r"^(Status|Template|Slug|Save_as):", line), line
    assert INJECTION.strip().splitlines()[0] in " ".join(body.split())  # folded, kept


def test_injected_metadata_has_no_effect_on_the_built_site(hostile_site: Path) -> None:
    """The story is published (not a draft), at its own slug, with the story template;
    nothing was written at the injected slug or save-as path."""
    assert (hostile_site / "stories" / HOSTILE_SLUG / "index.html").is_file()
    assert not (hostile_site / "stories" / "hacked").exists()
    assert not (hostile_site / "hacked").exists()
    assert not (hostile_site.parent / "evil.html").exists()
    assert not list(hostile_site.rglob("evil.html"))
    html = (hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8")
    assert "data-pagefind-body" in html  # rendered by story.html
    stories = json.loads((hostile_site / "api" / "stories.json").read_text())
    assert [s["slug"] for s in stories] == [HOSTILE_SLUG]


UNSAFE_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "vbscript:msgbox(1)", "VBScript:msgbox(1)", "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd", "//evil.example/x", "/relative", "../../etc/passwd",
    "&#106;avascript:alert(1)", "https://", "https:alert(1)",
]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_urls_are_rejected_at_the_door(tmp_path: Path, url: str) -> None:
    """In a source's `url` and an outlet's `url`, through `parallax check`: each is
    refused at its own line, whatever its case, spacing or encoding."""
    import yaml

    root = hostile_content(tmp_path / "content")
    path = root / "stories" / f"{HOSTILE_SLUG}.yaml"
    story = yaml.safe_load(path.read_text("utf-8"))
    story["sources"][1]["url"] = url
    path.write_text(yaml.safe_dump(story, allow_unicode=True, width=1000), "utf-8")
    outlets = yaml.safe_load((root / "outlets.yaml").read_text("utf-8"))
    outlets["plain"]["url"] = url
    (root / "outlets.yaml").write_text(yaml.safe_dump(outlets, allow_unicode=True), "utf-8")
    done = run_cli("check", "--content", root)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 2, done.stderr
    assert re.search(r"outlets\.yaml:\d+:\d+: error: plain\.url: must be an absolute "
                     r"http:// or https:// URL", errors[0]), errors
    assert re.search(r"hostile\.yaml:\d+:\d+: error: sources\[1\]\.url: must be an "
                     r"absolute http:// or https:// URL", errors[1]), errors


# --- autoescape ---------------------------------------------------------------------


def test_jinja_autoescape_is_on(tmp_path: Path) -> None:
    """Pelican's own template environment, made from our settings, escapes variables."""
    from pelican.generators import Generator

    settings = read_settings(PROJECT / "pelicanconf.py", {"PATH": str(tmp_path)})
    assert settings["JINJA_ENVIRONMENT"]["autoescape"] is True
    generator = Generator(context={}, settings=settings, path=str(tmp_path),
                          theme=settings["THEME"], output_path=str(tmp_path / "out"))
    rendered = generator.env.from_string("<p>{{ x }}</p>").render(x="<b>bold</b>")
    assert rendered == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
    assert generator.env.autoescape is True  # every template, whatever its name


def test_every_payload_survives_as_text_somewhere(hostile_site: Path) -> None:
    """A sanity check of the scan: each payload reached the output (escaped)."""
    api = (hostile_site / "api" / "stories" / f"{HOSTILE_SLUG}.json").read_text("utf-8")
    decoded = json.dumps(json.loads(api), ensure_ascii=False)
    for payload in (*PAYLOADS, *MORE_PAYLOADS):
        assert json.dumps(payload, ensure_ascii=False)[1:-1] in decoded, payload
    story_url = f"/stories/{HOSTILE_SLUG}/"
    assert url_of(hostile_site, hostile_site / "stories" / HOSTILE_SLUG / "index.html") == \
        story_url


# --- nothing leaves the output folder -------------------------------------------------


def _files(root: Path) -> dict[str, Entry]:
    return {k: e for k, e in snapshot(root).items() if e[0] is not None}


def test_a_hostile_build_writes_only_into_its_own_folders(tmp_path: Path) -> None:
    """Traversal in topics (`../../etc/passwd`), injected `Save_as: ../evil.html`, Pelican
    placeholders (`{attach}../../../etc/passwd`): the build, run from `tmp_path`, adds files
    only to the output, its work folder and its cache; home and temp are sandboxed too."""
    hostile_content(tmp_path / "content")
    for folder in ("home", "tmp"):
        (tmp_path / folder).mkdir()
    before = _files(tmp_path)
    done = run_cli("build", "--content", "content", "--output", "out", cwd=tmp_path,
                   env={"HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"),
                        "MPLCONFIGDIR": str(tmp_path / "home" / "mpl")})
    assert done.returncode == 0, done.stderr
    after = _files(tmp_path)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing changed
    added = sorted(after.keys() - before.keys())
    outside = [p for p in added
               if not p.startswith(("out/", "build/", ".cache/", "home/mpl/"))]
    assert not outside
    assert any(p.startswith("out/stories/hostile/") for p in added)
    names = {Path(p).name for p in added}
    assert not names & {"passwd", "evil.html", "hacked"}
    for path in (tmp_path / "out").rglob("*"):  # no link leads out of the site
        assert path.resolve().is_relative_to((tmp_path / "out").resolve()) or \
            path.resolve().is_relative_to((tmp_path / "build").resolve()), path


def test_template_syntax_stays_text_everywhere(hostile_site: Path) -> None:
    """Jinja statements and comments, other engines' syntax and Pelican placeholders in
    editor text reach the reader verbatim (escaped), never evaluated or resolved."""
    html = (hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8")
    assert html.count("JINJA-RAN") == html.count("{% if true %}JINJA-RAN{% endif %}") > 0
    assert "{# comment #}" in html
    assert "{filename}/pages/evil.md" in html and "{attach}../../etc/passwd" in html
    topics = json.loads((hostile_site / "api" / "stories.json").read_text("utf-8"))[0]["topics"]
    assert "{% raw %}x{% endraw %}" in topics and "{{ 7*191 }}" in topics


def test_editor_placeholder_links_are_not_resolved_in_stories(hostile_site: Path) -> None:
    """`[l]({filename}/pages/evil.md)` in a story is an unsafe relative link, dropped,
    not turned by Pelican into a link to the page (pages, written by maintainers, may)."""
    html = (hostile_site / "stories" / HOSTILE_SLUG / "index.html").read_text("utf-8")
    body = html.split('class="story-body', 1)[1]
    body = body.split("</article>", 1)[0]
    hrefs = {e.attrs["href"] or "" for e in Page(body).find("a") if "href" in e.attrs}
    assert "https://example.org/ok" in hrefs
    resolved = {"/evil-page/", "/x.png", "/index.html", "/stories/hostile/passwd"}
    assert not hrefs & resolved
    assert not [h for h in hrefs if "passwd" in h or h.startswith(("file:", "{"))]


# --- invisible characters -----------------------------------------------------------

BIDI_TITLE = "Vote \u202eevil\u200b ends"  # an unclosed right-to-left override, a zero-width space


def test_a_bidi_override_in_a_title_is_contained_on_every_surface(tmp_path: Path) -> None:
    """The page heading, `<title>`, feed and JSON all carry the title isolated (FSI … PDI),
    so the override cannot reorder what follows; the zero-width space stays text."""
    isolated = "\u2068" + BIDI_TITLE + "\u2069"
    story = STORY.replace("title: Talks in Istanbul", f'title: "{BIDI_TITLE}"')
    root = write_content(tmp_path / "content", stories={"bidi-vote": story})
    output, _ = build_site(root, tmp_path)
    html = (output / "stories" / "bidi-vote" / "index.html").read_text("utf-8")
    assert f"<h1>{isolated}</h1>" in html
    assert Page(html).find("title")[0].text.startswith(isolated)
    data = json.loads((output / "api" / "stories" / "bidi-vote.json").read_text("utf-8"))
    assert data["title"] == isolated
    atom = "{http://www.w3.org/2005/Atom}"
    root_el = ET.parse(output / "feeds" / "all.atom.xml").getroot()
    assert [e.findtext(f"{atom}title") for e in root_el.iter(f"{atom}entry")] == [isolated]
    assert all(name.isascii() for name in (p.name for p in output.rglob("*")))
