"""`parallax diff [BASE]`: what a change to the content does to the published figures.

The content folder as committed at BASE (a git revision, by default `origin/main`
when it exists, else `HEAD`) is extracted into a temporary folder with
`git archive`, both versions are loaded and their figures computed with the
blindspot rule of the settings, and the stories are compared by slug: added,
changed (any field differs, or its figures moved because an outlet was re-rated)
and removed, each with its bias distribution and blindspot before → after. The
Markdown form is a table for a pull request's summary.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .figures import StoryFigures, Thresholds, story_figures
from .model import Bucket, Outlet, Story
from .problems import Problem, errors
from .report import Loaded, bias_line, load_lenient, shown

PROJECT = Path(__file__).resolve().parent.parent
#: A story's figures that a registry change can move without the story changing.
_FIGURES = ("bias", "factuality", "ownership", "blindspot")


class DiffError(Exception):
    """A bad revision, or no git repository (exit 2)."""


@dataclass(frozen=True)
class Version:
    figures: StoryFigures
    path: Path


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "changed" or "removed"
    slug: str
    before: Version | None
    after: Version | None
    fields: tuple[str, ...] = ()  # what differs, for "changed"

    @property
    def current(self) -> Version:
        version = self.after or self.before
        assert version is not None
        return version


@dataclass(frozen=True)
class OutletChanges:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Diff:
    base: str  # as the user named it
    commit: str  # its abbreviated commit
    content: str  # the content folder, relative to the repository
    changes: tuple[Change, ...]
    outlets: OutletChanges
    base_problems: tuple[Problem, ...]
    problems: tuple[Problem, ...]  # of the working tree

    @property
    def base_errors(self) -> int:
        return len(errors(self.base_problems))

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


# --- git ----------------------------------------------------------------------


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def repository(path: Path) -> Path:
    done = _git(path, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise DiffError(f"{path} is not inside a git repository")
    return Path(done.stdout.decode().strip())


def default_base(repo: Path) -> str:
    """`origin/main` when the repository has it (CI, clones), else `HEAD`."""
    done = _git(repo, "rev-parse", "--verify", "--quiet", "origin/main^{commit}")
    return "origin/main" if done.returncode == 0 else "HEAD"


def resolve(repo: Path, revision: str) -> str:
    if revision.startswith("-"):
        raise DiffError(f"not a revision: {revision!r}")
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--short", f"{revision}^{{commit}}")
    if done.returncode != 0:
        raise DiffError(f"unknown revision {revision!r} (try `git fetch`, or name a commit)")
    return done.stdout.decode().strip()


def extract(repo: Path, commit: str, folder: str, dest: Path) -> bool:
    """The content folder as committed at `commit`, written into `dest`; False when
    the revision has no such folder (everything is then "added")."""
    tree = f"{commit}:{folder}" if folder else commit
    if _git(repo, "cat-file", "-e", tree).returncode != 0:
        return False
    done = _git(repo, "archive", "--format=tar", tree)
    if done.returncode != 0:
        raise DiffError(f"git archive {tree} failed: {done.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(dest, filter="data")
    return True


# --- comparing ----------------------------------------------------------------


def _versions(loaded: Loaded, rule: Thresholds) -> dict[str, Version]:
    return {
        story.slug: Version(story_figures(story, loaded.outlets, rule), loaded.paths[story.slug])
        for story in loaded.stories
        if story.slug is not None
    }


def changed_fields(before: Story, after: Story) -> tuple[str, ...]:
    old, new = before.model_dump(), after.model_dump()
    return tuple(name for name in Story.model_fields if old.get(name) != new.get(name))


def compare(before: Loaded, after: Loaded, rule: Thresholds) -> tuple[Change, ...]:
    old, new = _versions(before, rule), _versions(after, rule)
    changes: list[Change] = []
    for slug in sorted(new.keys() - old.keys()):
        changes.append(Change("added", slug, None, new[slug]))
    for slug in sorted(new.keys() & old.keys()):
        a, b = old[slug].figures, new[slug].figures
        fields = changed_fields(a.story, b.story)
        if not fields and any(getattr(a, f) != getattr(b, f) for f in _FIGURES):
            fields = ("outlet ratings",)
        if fields:
            changes.append(Change("changed", slug, old[slug], new[slug], fields))
    for slug in sorted(old.keys() - new.keys()):
        changes.append(Change("removed", slug, old[slug], None))
    return tuple(changes)


def compare_outlets(before: Mapping[str, Outlet], after: Mapping[str, Outlet]) -> OutletChanges:
    changed = {}
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key].model_dump(), after[key].model_dump()
        fields = tuple(f for f in Outlet.model_fields if old.get(f) != new.get(f))
        if fields:
            changed[key] = fields
    return OutletChanges(
        tuple(sorted(after.keys() - before.keys())),
        tuple(sorted(before.keys() - after.keys())),
        changed,
    )


def diff(content: Path, base: str | None = None, rule: Thresholds | None = None) -> Diff:
    """Raises DiffError for a bad revision or a folder outside git."""
    content = content.resolve()
    if not content.is_dir():
        raise DiffError(f"no content folder at {content}")
    repo = repository(content)
    base = base or default_base(repo)
    commit = resolve(repo, base)
    folder = content.relative_to(repo.resolve()).as_posix()
    folder = "" if folder == "." else folder
    rule = rule or Thresholds()
    after = load_lenient(content)
    with tempfile.TemporaryDirectory(prefix="parallax-diff-") as tmp:
        root = Path(tmp) / "content"
        root.mkdir()
        if extract(repo, commit, folder, root):
            before = load_lenient(root)
        else:
            before = Loaded(root, {}, (), {}, ())
        changes = compare(before, after, rule)
        # Paths of the base version: shown as they stand in the repository.
        changes = tuple(_rebase(c, root, content) for c in changes)
        return Diff(
            base=base,
            commit=commit,
            content=folder or ".",
            changes=changes,
            outlets=compare_outlets(before.outlets, after.outlets),
            base_problems=before.problems,
            problems=after.problems,
        )


def _rebase(change: Change, tmp: Path, content: Path) -> Change:
    if change.before is None:
        return change
    path = content / change.before.path.relative_to(tmp)
    before = Version(change.before.figures, path)
    return Change(change.kind, change.slug, before, change.after, change.fields)


# --- output -------------------------------------------------------------------


def blindspot_label(side: Bucket | None) -> str:
    return "none" if side is None else f"for the {side.label}"


def _arrow(before: str, after: str) -> str:
    return after if before == after else f"{before} → {after}"


def _bias(version: Version | None) -> str:
    return "—" if version is None else bias_line(version.figures.bias)


def _blindspot(version: Version | None) -> str:
    return "—" if version is None else blindspot_label(version.figures.blindspot)


def _header(d: Diff) -> str:
    return f"{d.base} ({d.commit}) → working tree, content folder {d.content}/"


def format_text(d: Diff) -> str:
    lines = [f"parallax diff: {_header(d)}"]
    if d.base_errors:
        lines.append(
            f"note: the content at {d.base} has {d.base_errors} error"
            f"{'s' * (d.base_errors != 1)}; its stories that validated are compared"
        )
    if d.errors:
        lines.append(
            f"note: the working tree content has {len(d.errors)} error"
            f"{'s' * (len(d.errors) != 1)} (listed below); stories that do not validate "
            "are left out"
        )
    if not d.changes:
        lines.append("No story changed.")
    marks = {"added": "+", "changed": "~", "removed": "-"}
    for kind in ("added", "changed", "removed"):
        changes = d.of(kind)
        if not changes:
            continue
        lines.append(f"{kind.capitalize()} ({len(changes)}):")
        for c in changes:
            story = c.current.figures.story
            draft = " [draft]" if story.draft else ""
            lines.append(f"  {marks[kind]} {c.slug}: {story.title}{draft}")
            lines.append(f"      file:      {shown(c.current.path)}")
            if c.fields:
                lines.append(f"      changed:   {', '.join(c.fields)}")
            if kind == "changed":
                lines.append(f"      bias:      {_arrow(_bias(c.before), _bias(c.after))}")
                lines.append(
                    f"      blindspot: {_arrow(_blindspot(c.before), _blindspot(c.after))}"
                )
            else:
                lines.append(f"      bias:      {_bias(c.current)}")
                lines.append(f"      blindspot: {_blindspot(c.current)}")
    lines += _outlet_lines(d.outlets, "  ")
    return "\n".join(lines)


def _outlet_lines(outlets: OutletChanges, indent: str, code: str = "") -> list[str]:
    if not outlets:
        return []
    lines = ["Outlets:"]
    if outlets.added:
        lines.append(f"{indent}added: {', '.join(code + k + code for k in outlets.added)}")
    if outlets.removed:
        lines.append(f"{indent}removed: {', '.join(code + k + code for k in outlets.removed)}")
    for key, fields in outlets.changed.items():
        lines.append(f"{indent}changed: {code}{key}{code} ({', '.join(fields)})")
    return lines


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-!|~"})


def md(text: str) -> str:
    """Editor text inside a GitHub Markdown table cell: no markup, no HTML, no `|`."""
    return text.translate(_MD_SPECIAL)


def format_markdown(d: Diff) -> str:
    lines = [f"### Parallax: content changes against `{d.base}` ({d.commit})", ""]
    if d.errors:
        lines += [
            f"> **{len(d.errors)} error{'s' * (len(d.errors) != 1)}** in this branch's "
            "content: run `parallax check` (stories that do not validate are left out).",
            "",
        ]
    if d.base_errors:
        lines += [
            f"> The content at `{d.base}` has {d.base_errors} error"
            f"{'s' * (d.base_errors != 1)}; its stories that validated are compared.",
            "",
        ]
    if not d.changes:
        lines.append("No story changed.")
    else:
        added, changed, removed = (len(d.of(k)) for k in ("added", "changed", "removed"))
        lines += [
            f"{added} added, {changed} changed, {removed} removed.",
            "",
            "| | Story | Changed | Bias before | Bias after | Blindspot |",
            "|---|---|---|---|---|---|",
        ]
        for c in d.changes:
            story = c.current.figures.story
            title = md(story.title) + (" *(draft)*" if story.draft else "")
            cell = f"**{title}**<br>`{c.slug}` · `{shown(c.current.path)}`"
            blind = _arrow(_blindspot(c.before), _blindspot(c.after))
            if c.kind != "changed":
                blind = _blindspot(c.current)
            lines.append(
                f"| {c.kind} | {cell} | {', '.join(c.fields) or '—'} "
                f"| {_bias(c.before)} | {_bias(c.after)} | {blind} |"
            )
    outlets = _outlet_lines(d.outlets, "- ", "`")
    if outlets:
        lines += ["", "**Outlets**", "", *outlets[1:]]
    return "\n".join(lines)


def formatted(d: Diff, fmt: str) -> str:
    return format_markdown(d) if fmt == "markdown" else format_text(d)
