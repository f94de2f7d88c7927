"""`plugin.SelectiveWriter`: each page is a new file renamed over the old one, with
Pelican's bookkeeping of what was written kept; `plugin.ReusedMarkdownReader`: one
converter for every file, each file read as if it were the only one."""

from __future__ import annotations

from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG
from pelican.writers import FileOverwriteFailedError

from generator.plugin import ReusedMarkdownReader, SelectiveWriter, use_reused_markdown


def writer(tmp_path: Path) -> SelectiveWriter:
    return SelectiveWriter(str(tmp_path), dict(DEFAULT_CONFIG))


def test_the_old_page_stays_whole_until_the_new_one_replaces_it(tmp_path: Path) -> None:
    """The target is neither created nor emptied while the page is written (the output
    shares it by hard link); closing swaps the new file in, as a new inode."""
    page = tmp_path / "index.html"
    page.write_text("old", "utf-8")
    before = page.stat().st_ino
    handle = writer(tmp_path)._open_w(str(page), "utf-8")
    handle.write("new")
    assert page.read_text("utf-8") == "old" and page.stat().st_ino == before
    handle.close()
    assert page.read_text("utf-8") == "new" and page.stat().st_ino != before
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]  # no temp file left


def test_a_page_with_no_file_yet_is_written_in_place(tmp_path: Path) -> None:
    """No file shares that name, so nothing can see it change: the file is created
    where it belongs, one system call instead of a temp file and a rename."""
    page = tmp_path / "new.html"
    handle = writer(tmp_path)._open_w(str(page), "utf-8")
    assert page.exists()
    handle.write("x")
    handle.close()
    assert page.read_text("utf-8") == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["new.html"]


def test_pelicans_rules_for_writing_a_file_twice_hold(tmp_path: Path) -> None:
    """Twice is an error; once more with `override` replaces it; a later plain write
    is skipped (written nowhere) and a second override is an error."""
    w, page = writer(tmp_path), str(tmp_path / "p.html")
    with w._open_w(page, "utf-8") as f:
        f.write("first")
    with pytest.raises(FileOverwriteFailedError):
        w._open_w(page, "utf-8")
    with w._open_w(page, "utf-8", override=True) as f:
        f.write("second")
    with w._open_w(page, "utf-8") as f:
        f.write("skipped")
    assert Path(page).read_text("utf-8") == "second"
    with pytest.raises(FileOverwriteFailedError):
        w._open_w(page, "utf-8", override=True)


def _reader() -> ReusedMarkdownReader:
    settings = dict(DEFAULT_CONFIG)
    settings["MARKDOWN"] = {"extension_configs": {"markdown.extensions.tables": {}},
                            "output_format": "html5"}
    return ReusedMarkdownReader(settings)


def test_one_markdown_converter_reads_each_file_as_if_alone(tmp_path: Path) -> None:
    """Metadata of every file, not only the first (Pelican's metadata step drops the
    metadata preprocessor); nothing of one file (metadata, link references, tables)
    reaches the next."""
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("Title: First\nSlug: a\n\nSee [the source][ref].\n\n"
                     "[ref]: https://example.org/a\n\n| x |\n|---|\n| 1 |\n",
                     encoding="utf-8")
    second.write_text("Title: Second\n\nSee [the source][ref].\n", encoding="utf-8")
    reader = _reader()
    html_a, meta_a = reader.read(str(first))
    html_b, meta_b = reader.read(str(second))
    assert (meta_a["title"], meta_a["slug"]) == ("First", "a")
    assert '<a href="https://example.org/a">the source</a>' in html_a and "<table>" in html_a
    assert meta_b == {"title": "Second"}  # no slug carried over
    assert "example.org" not in html_b and "[the source][ref]" in html_b
    assert reader.read(str(first)) == (html_a, meta_a)  # a third read: the same
    assert reader._converter is reader._md  # one converter, not one per file


def test_pelican_reads_markdown_with_the_reused_converter() -> None:
    from pelican import signals
    from pelican.readers import Readers

    signals.readers_init.connect(use_reused_markdown)
    try:
        readers = Readers(dict(DEFAULT_CONFIG))
    finally:
        signals.readers_init.disconnect(use_reused_markdown)
    assert type(readers.readers["md"]) is ReusedMarkdownReader
    assert type(readers.readers["markdown"]) is ReusedMarkdownReader
