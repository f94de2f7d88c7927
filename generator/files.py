"""Writing files so that nobody sees half of one, and only when they change.

Every write is a new file renamed over the old (readers, concurrent builds and hard
links never see a file change under them); `sync_*` compare before writing, so a
rebuild touches only what an edit changed. Folders are published by staging the
new state beside the target, then committing it in steps no signal interrupts.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
import signal
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

#: Hard links impossible here (another file system, none allowed, too many): copy instead.
#: Any other error (a full disk above all) is an error: copying would not help.
_CANNOT_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP}
#: renameat2(2): relative to the working directory; swap both names in one step.
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2
#: The kernel, C library or file system cannot exchange: fall back to two renames.
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, then rename: readers and concurrent builds
    see either no file or the whole file. (System calls are counted: a build writes
    thousands of files, and each call costs ~0.1 ms on small cloud disks. The temp
    name is this process's own, so no random names are tried; its mode is the
    usual 0o666 less the umask, as any file the build writes.)"""
    tmp = f"{path.parent}/.{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, _NEW_FILE, 0o666)
    except FileNotFoundError:  # the folder first, only when it is missing
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, _NEW_FILE, 0o666)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: Create or empty, write only (a leftover of a killed run with this pid is reused).
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def sync_file(path: Path, data: bytes) -> bool:
    """Write `data` unless the file already holds it. True when written.

    An existing file is replaced atomically (`write_atomic`: the output may share
    it by hard link). A missing one is created in place, one file instead of a temp
    file and a rename: nobody shares a file that does not exist yet, and a build
    killed half-way leaves a short file that the next build's comparison rewrites
    (this is for the build's own folders, not for shared caches)."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        try:
            write_new(path, data)
            return True
        except FileExistsError:  # appeared meanwhile: replaced whole, below
            pass
    write_atomic(path, data)
    return True


def write_new(path: Path, data: bytes) -> None:
    """A file that does not exist yet, created in place (its folder too, when
    missing): one file, no temp file and rename. FileExistsError if there is one."""
    try:
        handle = open(path, "xb")  # noqa: SIM115
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "xb")  # noqa: SIM115
    with handle:
        handle.write(data)


def sync_tree(folder: Path, files: Mapping[str, bytes] | Iterable[tuple[str, bytes]]) -> int:
    """Make `folder` hold exactly `files` (relative path → bytes, or such pairs made
    one at a time). Returns files written."""
    pairs = files.items() if isinstance(files, Mapping) else files
    written = 0
    wanted: set[Path] = set()
    for rel, data in pairs:
        written += sync_file(folder / rel, data)
        wanted.add(folder / rel)
    if folder.is_dir():
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return written


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """A hard link (the build never changes a file in place, so sharing an inode is
    safe), or a copy where linking is impossible; a full disk fails either way."""
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in _CANNOT_LINK:
            raise
        shutil.copy2(source, target)


def sync_changes(source: Path, target: Path, gone: Iterable[str] = (),
                 whole: Iterable[str] = ()) -> int:
    """Put into `target` the files of `source` (a partial site: what an incremental
    build rendered) whose bytes differ from `target`'s, and remove `gone` (relative
    paths); top-level folders in `whole` replace `target`'s whole. The new files are
    first linked into a staging folder beside `target` (a full disk fails there,
    `target` untouched); then, with signals held back, renamed in, and the gone ones
    removed. Nothing else of `target` is read or touched. Returns files put in place."""
    target.mkdir(parents=True, exist_ok=True)
    changes = _Changes(gone=[rel for rel in gone if os.path.lexists(target / rel)])
    replaced = set(whole)
    for rel in sorted(replaced):
        if (source / rel).is_dir():
            if os.path.lexists(target / rel):
                changes.gone.append(rel)
            changes.folders.append(rel)
    _differing(str(source), str(target), "", changes, skip=replaced)
    return _apply(source, changes, target)


def _apply(source: Path, changes: _Changes, target: Path) -> int:
    if changes.empty:
        return 0
    staging = sibling(target, "staging")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = _stage(source, changes, staging)
        with uninterrupted():
            _commit(changes, staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


@dataclass
class _Changes:
    """What makes a target folder a mirror of its source (paths relative to both)."""

    gone: list[str] = field(default_factory=list)  # removed from the target
    folders: list[str] = field(default_factory=list)  # new: moved in whole
    files: list[str] = field(default_factory=list)  # new or changed

    @property
    def empty(self) -> bool:
        return not (self.gone or self.folders or self.files)


def _differing(source: str, target: str, rel: str, changes: _Changes,
               skip: Collection[str] = ()) -> None:
    """What of `source` differs from `target`, by bytes (the source's files are new
    ones, so neither inode nor time tells); files only the target has are kept."""
    for entry in os.scandir(os.path.join(source, rel)):
        name = os.path.join(rel, entry.name)
        if name in skip:
            continue
        dst = os.path.join(target, name)
        if entry.is_dir(follow_symlinks=False):
            if os.path.isdir(dst) and not os.path.islink(dst):
                _differing(source, target, name, changes)
                continue
            if os.path.lexists(dst):
                changes.gone.append(name)
            changes.folders.append(name)
        elif not _same_bytes(entry.path, dst):
            if os.path.isdir(dst) and not os.path.islink(dst):
                changes.gone.append(name)
            changes.files.append(name)


def _same_bytes(a: str, b: str) -> bool:
    try:
        if os.path.getsize(a) != os.path.getsize(b) or os.path.isdir(b):
            return False
        with open(a, "rb") as one, open(b, "rb") as two:
            return one.read() == two.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _stage(source: Path, changes: _Changes, staging: Path) -> int:
    written = sum(link_tree(source / rel, staging / rel) for rel in changes.folders)
    for rel in changes.files:
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        link_or_copy(source / rel, staging / rel)
    return written + len(changes.files)


def _commit(changes: _Changes, staging: Path, target: Path) -> None:
    """Only renames and removals: nothing here needs disk space."""
    for rel in changes.gone:
        path = target / rel
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    for rel in (*changes.folders, *changes.files):
        os.replace(staging / rel, target / rel)


def link_tree(source: Path, target: Path, skip: Iterable[str] = ()) -> int:
    """A new folder holding the same files by hard link (copies across file
    systems): the whole site staged in links, not copies; `skip`: top-level folders
    left out. Returns the file count."""
    count = 0
    left_out = set(skip)
    for folder, dirs, names in os.walk(source):
        if folder == str(source):
            dirs[:] = [d for d in dirs if d not in left_out]
        here = target / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in names:
            link_or_copy(os.path.join(folder, name), here / name)
            count += 1
    return count


# --- replacing a whole folder ---------------------------------------------------


def sibling(path: Path, role: str, pid: int | None = None) -> Path:
    """`.out.staging-<pid>` beside `out`: the same file system (renames stay
    atomic), hidden, and owned by one process (concurrent builds never share one)."""
    return path.parent / f".{path.name}.{role}-{os.getpid() if pid is None else pid}"


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux renameat2 RENAME_EXCHANGE): there
    is no moment without either. False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or a C library without it
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def swap_in(new: Path, old: Path) -> Path:
    """Put folder `new` in the place of `old`; returns where the previous `old` now
    lies (to delete). One exchange where possible; else two renames, the previous
    folder set aside as `.<old>.old-<pid>` (`recover` restores it after a crash
    between them) and put back if the second rename fails."""
    if not os.path.lexists(old):
        os.replace(new, old)
        return new
    if exchange(new, old):
        return new
    aside = sibling(old, "old")
    shutil.rmtree(aside, ignore_errors=True)
    os.replace(old, aside)
    try:
        os.replace(new, old)
    except BaseException:
        os.replace(aside, old)
        raise
    return aside


def recover(path: Path) -> None:
    """Undo what a build killed while publishing left beside `path`: its previous
    folder set aside but not replaced (restored) and staging folders (removed).
    Folders of a build still running (its process is alive) are left alone."""
    stale = sorted(
        (p for p in path.parent.glob(f".{path.name}.*-*") if _stale(p, path.name)),
        key=lambda p: p.stat().st_mtime_ns,
    )
    aside = [p for p in stale if p.name.startswith(f".{path.name}.old-")]
    if aside and not os.path.lexists(path):
        os.replace(aside[-1], path)
    for leftover in stale:
        shutil.rmtree(leftover, ignore_errors=True)


def _stale(leftover: Path, name: str) -> bool:
    role, _, pid = leftover.name.removeprefix(f".{name}.").rpartition("-")
    if role not in ("old", "staging") or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True  # this process: none of its builds is publishing now (caller locks)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


@contextmanager
def uninterrupted() -> Iterator[None]:
    """SIGINT and SIGTERM held back while the output changes: the steps finish, then
    the signal is delivered as usual. (Main thread only: Python runs signal handlers
    there, and only there may it set them.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {kind: signal.signal(kind, lambda n, _: held.append(n)) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, signal.SIG_DFL if handler is None else handler)
        for number in held[:1]:
            signal.raise_signal(number)


def files_digest(paths: Iterable[Path], root: Path) -> str:
    """A digest of files' names (relative to `root`, so the same tree in another
    checkout gives the same digest) and bytes: code, theme, settings, pages."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:32]
