"""Writing files so that nobody sees half of one, and only when they change.

Every write is a new file renamed over the old (readers, concurrent builds and hard
links never see a file change under them); `sync_*` compare before writing, so a
rebuild touches only what an edit changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then rename: readers and concurrent builds
    see either no file or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_file(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it; atomic. True when written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return True


def sync_tree(folder: Path, files: Mapping[str, bytes]) -> int:
    """Make `folder` hold exactly `files` (relative path → bytes). Returns files written."""
    written = sum(sync_file(folder / rel, data) for rel, data in files.items())
    wanted = {folder / rel for rel in files}
    if folder.is_dir():
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written


def sync_dirs(source: Path, target: Path) -> int:
    """Make `target` a mirror of `source`, touching only files that differ.

    Files are hard-linked (the build never changes a file in place: every write
    is a new file renamed over the old), so publishing 10,000 files costs links,
    not copies; across file systems they are copied. Each change is atomic (a
    temporary name, then a rename). Returns the number of files put in place."""
    return _sync(str(source), str(target))


def _sync(source: str, target: str) -> int:
    written = 0
    os.makedirs(target, exist_ok=True)
    wanted: set[str] = set()
    for entry in os.scandir(source):
        wanted.add(entry.name)
        dst = os.path.join(target, entry.name)
        if entry.is_dir(follow_symlinks=False):
            if os.path.isfile(dst):
                os.unlink(dst)
            written += _sync(entry.path, dst)
        elif not _same(entry.stat(), dst):
            if os.path.isdir(dst):
                shutil.rmtree(dst)
            tmp = os.path.join(target, f".{entry.name}.{os.getpid()}.tmp")
            try:
                os.link(entry.path, tmp)
            except OSError:
                shutil.copy2(entry.path, tmp)
            os.replace(tmp, dst)
            written += 1
    for entry in os.scandir(target):
        if entry.name not in wanted:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    return written


def _same(a: os.stat_result, dst: str) -> bool:
    """The same file (one inode), or a copy with the same size and time."""
    try:
        b = os.stat(dst)
    except FileNotFoundError:
        return False
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev) or (
        a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns
    )


def link_tree(source: Path, target: Path) -> int:
    """A new folder holding the same files by hard link (copies across file
    systems): the whole site staged in links, not copies. Returns the file count."""
    count = 0
    for folder, _dirs, names in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in names:
            try:
                os.link(os.path.join(folder, name), here / name)
            except OSError:
                shutil.copy2(os.path.join(folder, name), here / name)
            count += 1
    return count


def files_digest(paths: Iterable[Path], root: Path) -> str:
    """A digest of files' names (relative to `root`, so the same tree in another
    checkout gives the same digest) and bytes: code, theme, settings, pages."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:32]
