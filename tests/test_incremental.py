"""Incremental rebuilds: the plan, and whole builds proving a rebuild after one edit
renders only what changed yet gives the same bytes as a cold build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT, file_bytes

from generator.build import Options, build
from generator.files import sync_changes
from generator.incremental import Manifest, plan

FIXTURE = Path(__file__).parent / "fixtures" / "site"
SETTINGS = {
    "ARTICLE_SAVE_AS": "stories/{slug}/index.html",
    "TAG_FEED_ATOM": "feeds/topics/{slug}.atom.xml",
    "FEED_ALL_ATOM": "feeds/all.atom.xml",
}


# --- the plan ----------------------------------------------------------------------------------


def _manifest(site: str = "s", **pages: str) -> Manifest:
    return Manifest(site=site, pages=dict(pages), topics={slug: ["trade"] for slug in pages})


def test_no_previous_build_means_a_full_build() -> None:
    assert plan(None, _manifest(a="1"), SETTINGS) is None


def test_a_change_every_page_shows_means_a_full_build() -> None:
    assert plan(_manifest("old", a="1"), _manifest("new", a="1"), SETTINGS) is None


def test_a_changed_story_page_renders_that_page_and_its_feeds() -> None:
    selected = plan(_manifest(a="1", b="1"), _manifest(a="2", b="1"), SETTINGS)
    assert selected == {
        "stories/a/index.html", "feeds/topics/trade.atom.xml", "feeds/all.atom.xml"
    }


def test_nothing_changed_renders_nothing() -> None:
    assert plan(_manifest(a="1"), _manifest(a="1"), SETTINGS) == frozenset()


# --- whole builds ------------------------------------------------------------------------------


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A site built, one key point reworded, built again; and a cold build of the
    edited content to compare with."""
    root = tmp_path_factory.mktemp("incremental")
    content = root / "content"
    shutil.copytree(FIXTURE, content)
    opts = Options(content=content, output=root / "out", work=root / "work", cache=root / "cache")
    build(opts)
    before = _inodes(root / "out")
    story = content / "stories" / "harbour-strike.yaml"
    text = story.read_text("utf-8")
    assert "The port says automation" in text
    edit = text.replace("The port says automation", "The port argues automation", 1)
    story.write_text(edit, "utf-8")
    report = build(opts)
    cold_out = root / "cold"
    build(Options(content=content, output=cold_out, work=root / "cold-work", cache=None))
    return {"root": root, "report": report, "before": before, "cold": cold_out}


def test_one_edit_renders_only_that_story(edited: dict[str, object]) -> None:
    report = edited["report"]
    assert not report.full  # type: ignore[attr-defined]


def test_the_edit_is_visible(edited: dict[str, object]) -> None:
    page = Path(str(edited["root"])) / "out" / "stories" / "harbour-strike" / "index.html"
    assert "The port argues automation" in page.read_text("utf-8")


def test_the_rebuild_equals_a_cold_build(edited: dict[str, object]) -> None:
    warm = file_bytes(Path(str(edited["root"])) / "out")
    cold = file_bytes(Path(str(edited["cold"])))
    assert sorted(warm) == sorted(cold)
    assert [k for k in warm if warm[k] != cold[k]] == []


def test_unchanged_files_are_not_rewritten(edited: dict[str, object]) -> None:
    after = _inodes(Path(str(edited["root"])) / "out")
    before: dict[str, int] = edited["before"]  # type: ignore[assignment]
    kept = [k for k in before if k in after and before[k] == after[k]]
    assert "index.html" in kept and "outlets/index.html" in kept
    assert "stories/harbour-strike/index.html" not in kept
    assert len(kept) > len(after) // 2


def _copied_site(tmp_path: Path) -> tuple[Path, Options]:
    """A copy of the fixture content, and options to build it without search."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURE, content)
    return content, Options(content=content, output=tmp_path / "out", work=tmp_path / "w",
                            cache=tmp_path / "c", search=False)


def test_a_title_change_is_a_full_build(tmp_path: Path) -> None:
    content, opts = _copied_site(tmp_path)
    build(opts)
    story = content / "stories" / "harbour-strike.yaml"
    lines = story.read_text("utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[at] = lines[at].rstrip("\n") + " (updated)\n"
    story.write_text("".join(lines), "utf-8")
    assert build(opts).full
    assert "(updated)" in (tmp_path / "out" / "index.html").read_text("utf-8")


def test_a_theme_change_is_a_full_build(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    shutil.copytree(PROJECT / "theme", theme)
    opts = Options(content=FIXTURE, output=tmp_path / "out", work=tmp_path / "w",
                   cache=tmp_path / "c", search=False, extra_settings={"THEME": str(theme)})
    build(opts)
    base = theme / "templates" / "base.html"
    base.write_text(base.read_text("utf-8").replace("</body>", "<!-- v2 --></body>"), "utf-8")
    assert build(opts).full
    assert "<!-- v2 -->" in (tmp_path / "out" / "outlets" / "index.html").read_text("utf-8")


def test_only_the_output_the_last_build_published_is_updated_in_part(tmp_path: Path) -> None:
    """The manifest names the output folder it made, by a mark on the folder: a
    folder deleted and made again (which may even get the same inode back) has none,
    a folder elsewhere is another, and files another tool adds (Pagefind's, say)
    change nothing."""
    from generator.incremental import _MARK, made, published

    out = tmp_path / "out"
    out.mkdir()
    manifest = published(Manifest(site="s", pages={"a": "1"}), out)
    assert made(manifest, out)
    (out / "pagefind").mkdir()
    assert made(manifest, out)
    assert not made(manifest, tmp_path / "elsewhere")
    assert not made(None, out)
    newer = published(Manifest(site="s", pages={"a": "2"}), out)  # a later build's pages
    assert made(newer, out) and not made(manifest, out)  # the older state no longer fits
    os.removexattr(out, _MARK)  # as a folder made anew, whatever its inode
    assert not made(newer, out)
    shutil.rmtree(out)
    assert not made(newer, out)  # gone


# --- publishing --------------------------------------------------------------------------------


def test_sync_changes_links_in_what_differs_and_removes_only_what_it_is_told(
    tmp_path: Path,
) -> None:
    """An incremental build's folder holds only what it rendered: a file whose bytes
    the output already has is left alone, a new or changed one is linked in, a file
    the build did not render stays, `gone` is removed and `whole` folders replace
    the output's."""
    source, target = tmp_path / "changes", tmp_path / "out"
    for rel, text in {"a/same.html": "same", "a/new.html": "new", "b/deep/c.html": "c",
                      "changed.html": "v2", "pagefind/x.pf": "x2"}.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(text, "utf-8")
    for rel, text in {"a/same.html": "same", "changed.html": "v1", "kept.html": "kept",
                      "charts/old.svg": "old", "pagefind/stale.pf": "s"}.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text, "utf-8")
    same = (target / "a" / "same.html").stat().st_ino
    written = sync_changes(source, target, gone=["charts/old.svg", "charts/never.svg"],
                           whole=["pagefind"])
    assert written == 4  # a/new.html, b/deep/c.html, changed.html, pagefind/x.pf
    assert file_bytes(target) == {
        "a/same.html": b"same", "a/new.html": b"new", "b/deep/c.html": b"c",
        "changed.html": b"v2", "kept.html": b"kept", "pagefind/x.pf": b"x2",
    }
    assert (target / "a" / "same.html").stat().st_ino == same  # same bytes: untouched
    assert os.path.samefile(source / "changed.html", target / "changed.html")  # a link
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_every_kind_of_edit_rebuilds_to_what_a_cold_build_gives(tmp_path: Path) -> None:
    """Edits that other pages show (a headline on outlet profiles, a location on
    cards) and edits they do not (an excerpt, a perspective): each rebuild equals a
    cold build of the same content."""
    content, opts = _copied_site(tmp_path)
    build(opts)
    story = content / "stories" / "harbour-strike.yaml"
    edits = [("title: The cost of the strike", "title: The true cost of the strike"),
             ("excerpt: Workers walked out at dawn.", "excerpt: They walked out at dawn."),
             ("sources: [7]", "sources: [6, 7]")]
    for n, (old, new) in enumerate(edits):
        text = story.read_text("utf-8")
        assert old in text, old
        story.write_text(text.replace(old, new, 1), "utf-8")
        build(opts)
        cold = tmp_path / f"cold{n}"
        build(Options(content=content, output=cold, work=tmp_path / f"cw{n}", cache=None,
                      search=False))
        assert file_bytes(tmp_path / "out") == file_bytes(cold), (old, new)
