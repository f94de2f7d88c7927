"""`plugin.SelectiveWriter`: each page is a new file renamed over the old one, with
Pelican's bookkeeping of what was written kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG
from pelican.writers import FileOverwriteFailedError

from generator.plugin import SelectiveWriter


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
