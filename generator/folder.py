"""Which files make a content folder, and reading them safely.

A pull request controls the content folder, so a file is read only if it is a
regular file inside the folder, within its size (checked before reading, never more
than the limit + 1 bytes read), and a symlink is followed only to a target inside
the folder: a build cannot be made to read, or publish, a file of the machine that
builds it. Folders are walked without recursion, each real folder once (link loops end).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .parse import MIB, Limits, YamlProblem
from .problems import Problem

#: Pages are read whole by the build.
MAX_PAGE_BYTES = 1 * MIB


def read_limited(path: Path, limits: Limits) -> bytes:
    """The bytes of a regular file within `limits`, else `YamlProblem` at 1:1. The
    size is checked before reading and no more than the limit + 1 bytes are read (a
    file may grow meanwhile); opened non-blocking, as a FIFO would wait forever."""
    with open(path, "rb", opener=_non_blocking) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise YamlProblem(1, 1, "not a regular file: not read")
        if info.st_size > limits.bytes:
            raise YamlProblem(1, 1, _too_big(info.st_size, limits.what, limits.bytes))
        # As many bytes as the file has, and one more to see it grew: asking for the
        # whole limit at once would have Python allocate (and map) a buffer of that
        # size for each file, ten times the cost of reading it.
        raw = handle.read(info.st_size + 1)
        if len(raw) > info.st_size:  # it grew meanwhile: read on, to the limit
            raw += handle.read(limits.bytes + 1 - len(raw))
    if len(raw) > limits.bytes:
        raise YamlProblem(1, 1, _too_big(len(raw), limits.what, limits.bytes))
    return raw


def _non_blocking(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NONBLOCK)


def _too_big(size: int, what: str, limit: int) -> str:
    return (
        f"the file is {size:,} bytes; {what} may have at most {limit:,} bytes "
        f"({limit / MIB:g} MiB): not read"
    )


@dataclass(frozen=True)
class Files:
    """What a content folder holds that load reads, and the problems of what it
    refuses to read (a symlink out of the folder, a page that is too large)."""

    registry: Path | None  # None: missing, or refused
    stories: list[Path]
    pages: list[Path]
    problems: list[Problem]


def content_files(root: Path) -> Files:
    """The registry, story files (sorted) and pages of `root`. A symlink is followed
    only to a target inside the content folder: a pull request cannot make a build
    read, or publish, a file of the machine that builds it."""
    inside = os.path.realpath(root)
    registry = root / "outlets.yaml"
    stories, problems = _walk(root / "stories", inside)
    pages, more = _pages(root / "pages", inside)
    problems += more
    if os.path.islink(registry) and not _inside(registry, inside):
        problems.append(_outside(registry))
    elif registry.is_file():
        return Files(registry, sorted(stories), sorted(pages), problems)
    else:
        problems.append(Problem(registry, 1, 1, "the outlet registry is missing"))
    return Files(None, sorted(stories), sorted(pages), problems)


def story_files(root: Path) -> list[Path]:
    """The story files load reads (what `check` counts, what `new` must not clash with)."""
    return sorted(_walk(root / "stories", os.path.realpath(root))[0])


def _walk(folder: Path, root: str) -> tuple[list[Path], list[Problem]]:
    """`*.yaml` and `*.yml` files under `folder`, without recursion (any depth).
    Symlinks inside the content folder are followed, each real folder read once,
    so a link loop ends; a symlink out of it is a problem, never followed."""
    found: list[Path] = []
    problems: list[Problem] = []
    pending, walked = [folder], set()
    while pending:
        current = pending.pop()
        try:
            info = os.stat(current)  # the folder itself, by device and inode (realpath is slow)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in walked:
            continue
        walked.add((info.st_dev, info.st_ino))
        entries, refused = _listing(current, root)
        problems += refused
        for entry in entries:
            story = entry.name.endswith((".yaml", ".yml"))
            if entry.is_symlink() and not _inside(entry.path, root):
                if story or os.path.isdir(entry):
                    problems.append(_outside(Path(entry.path)))
            elif _is_dir(entry):
                pending.append(Path(entry.path))
            elif story and _is_file(entry):
                found.append(Path(entry.path))
    return found, problems


def _pages(folder: Path, root: str) -> tuple[list[Path], list[Problem]]:
    """`pages/*.md`: each a regular file inside the content folder, at most
    `MAX_PAGE_BYTES` (the build reads it whole)."""
    entries, problems = _listing(folder, root)
    pages: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        if not entry.name.endswith(".md"):
            continue
        if entry.is_symlink() and not _inside(path, root):
            problems.append(_outside(path))
        elif _is_file(entry) and (size := os.stat(path).st_size) > MAX_PAGE_BYTES:
            problems.append(Problem(path, 1, 1, _too_big(size, "a page", MAX_PAGE_BYTES)))
        elif _is_file(entry):
            pages.append(path)
    return pages, problems


def _listing(folder: Path, root: str) -> tuple[list[os.DirEntry[str]], list[Problem]]:
    """The entries of a folder; none when it is missing, and a problem when it is a
    symlink out of the content folder or cannot be read."""
    if os.path.islink(folder) and not _inside(folder, root):
        return [], [_outside(folder)]
    if not os.path.isdir(folder):
        return [], []
    try:
        with os.scandir(folder) as listing:
            return list(listing), []
    except OSError as exc:
        return [], [Problem(folder, 1, 1, f"cannot read the folder: {exc.strerror}")]


def _inside(path: Path | str, root: str) -> bool:
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _outside(path: Path) -> Problem:
    what = "folder" if os.path.isdir(path) else "file"
    return Problem(path, 1, 1, f"is a symlink to a {what} outside the content folder: not read")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Following a symlink (already known to stay inside); False for a broken one or a loop."""
    return entry.is_dir(follow_symlinks=False) or (entry.is_symlink() and os.path.isdir(entry))


def _is_file(entry: os.DirEntry[str]) -> bool:
    return entry.is_file(follow_symlinks=False) or (entry.is_symlink() and os.path.isfile(entry))
