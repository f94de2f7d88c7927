"""Atomic, change-only writes."""

from __future__ import annotations

from pathlib import Path

from generator.files import sync_file, sync_tree, write_atomic


def test_write_atomic_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b.txt", b"x")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]


def test_sync_file_writes_only_a_change(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    assert sync_file(path, b"{}")
    inode = path.stat().st_ino
    assert not sync_file(path, b"{}")
    assert path.stat().st_ino == inode
    assert sync_file(path, b"[]") and path.read_bytes() == b"[]"
    assert path.stat().st_ino != inode  # a new file, never the old one rewritten


def test_sync_tree_holds_exactly_the_given_files(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "gone.md").write_text("x", "utf-8")
    assert sync_tree(folder, {"a.md": b"a", "b/c.md": b"c"}) == 2
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "a.md", "b", "b/c.md"
    ]
    assert sync_tree(folder, {"a.md": b"a", "b/c.md": b"c"}) == 0
    # Pairs made one at a time (the build's Markdown) do the same.
    made = ((name, name.encode()) for name in ("a.md", "d.md"))
    assert sync_tree(folder, made) == 2  # a.md's bytes changed, d.md is new
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "a.md", "d.md"
    ]


def test_a_digest_does_not_depend_on_where_the_tree_lies(tmp_path: Path) -> None:
    """CI restores build caches into a checkout that may sit elsewhere."""
    from generator.files import files_digest

    for where in ("one", "two"):
        (tmp_path / where / "t").mkdir(parents=True)
        (tmp_path / where / "t" / "base.html").write_text("<p>", "utf-8")
    one, two = tmp_path / "one", tmp_path / "two"
    assert files_digest(one.rglob("*.html"), one) == files_digest(two.rglob("*.html"), two)
    (two / "t" / "base.html").write_text("<p>!", "utf-8")
    assert files_digest(one.rglob("*.html"), one) != files_digest(two.rglob("*.html"), two)


def test_link_tree_links_every_file_but_the_folders_it_skips(tmp_path: Path) -> None:
    from generator.files import link_tree

    source = tmp_path / "s"
    for rel in ("a.html", "x/b.html", "charts/c.svg", "y/charts/d.svg"):
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(rel, "utf-8")
    assert link_tree(source, tmp_path / "t", skip=["charts"]) == 3
    linked = sorted(p.relative_to(tmp_path / "t").as_posix()
                    for p in (tmp_path / "t").rglob("*") if p.is_file())
    assert linked == ["a.html", "x/b.html", "y/charts/d.svg"]  # only the top-level one
    assert (tmp_path / "t" / "a.html").stat().st_ino == (source / "a.html").stat().st_ino
