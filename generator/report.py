"""`parallax outlet KEY`: what the registry and the stories say about one outlet.

Also home of `load_lenient`, shared with `parallax diff`: the content as far as it
can be read. `parallax check` refuses content with any error; these read-only
reports still answer from every story that validated, and say that others did not.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .figures import (
    BiasDistribution,
    StoryFigures,
    Thresholds,
    bias_distribution,
    largest_remainder,
    story_figures,
)
from .load import load_content
from .model import Outlet, Story
from .problems import Problem, did_you_mean, errors


@dataclass(frozen=True)
class Loaded:
    """Outlets and stories that validated, and every problem `parallax check` finds."""

    root: Path
    outlets: Mapping[str, Outlet]
    stories: tuple[Story, ...]
    paths: Mapping[str, Path]  # slug → file
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)


def load_lenient(root: Path) -> Loaded:
    """The content as far as it validates: stories with errors, or citing an outlet
    the registry lacks (their figures cannot be computed), are left out."""
    result = load_content(root)
    valid = result.valid
    keep = [s for s in valid.stories if all(src.outlet in valid.outlets for src in s.sources)]
    paths = {s.slug: valid.paths[s.slug] for s in keep if s.slug is not None}
    return Loaded(root, valid.outlets, tuple(keep), paths, result.problems)


# --- the outlet report --------------------------------------------------------


@dataclass(frozen=True)
class Citing:
    figures: StoryFigures
    path: Path
    articles: int  # this outlet's entries in the story


@dataclass(frozen=True)
class OutletReport:
    key: str
    outlet: Outlet
    stories: tuple[Citing, ...]  # newest first
    bias: BiasDistribution  # over this outlet's articles (per-article overrides count)

    @property
    def articles(self) -> int:
        return sum(c.articles for c in self.stories)


class UnknownOutlet(LookupError):
    pass


def outlet_report(loaded: Loaded, key: str, rule: Thresholds | None = None) -> OutletReport:
    """Raises UnknownOutlet with a "did you mean" message."""
    outlet = loaded.outlets.get(key)
    if outlet is None:
        raise UnknownOutlet(f"unknown outlet '{key}'{suggest(key, loaded.outlets)}")
    rule = rule or Thresholds()
    citing: list[Citing] = []
    entries = []
    for story in loaded.stories:
        if not any(s.outlet == key for s in story.sources):
            continue
        figures = story_figures(story, loaded.outlets, rule)
        mine = [e for e in figures.entries if e.source.outlet == key]
        entries += mine
        citing.append(Citing(figures, loaded.paths[figures.slug], len(mine)))
    citing.sort(key=lambda c: (c.figures.story.date, c.figures.slug), reverse=True)
    return OutletReport(key, outlet, tuple(citing), bias_distribution(entries))


def suggest(key: str, outlets: Mapping[str, Outlet]) -> str:
    """Close keys; else keys whose display name is close (`Reuters` → 'reuters'); else
    keys or names that contain what was typed (`bbc` → 'bbc-news')."""
    close = did_you_mean(key, outlets)
    if close:
        return close
    wanted = key.casefold()
    by_name = {o.name.casefold(): k for k, o in outlets.items()}
    found = difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.6)
    keys = [by_name[n] for n in found]
    if not keys and len(wanted) >= 2:
        keys = [k for k, o in outlets.items() if wanted in k or wanted in o.name.casefold()][:3]
    return " (did you mean " + ", ".join(f"'{k}'" for k in keys) + "?)" if keys else ""


def bias_line(bias: BiasDistribution, noun: str = "article") -> str:
    """`L 20% · C 40% · R 40% (19 articles)`; unrated entries count in the total."""
    total = f"{bias.total} {noun}{'s' * (bias.total != 1)}"
    if bias.percents is None:
        return f"not enough rated sources ({total})"
    left, center, right = bias.percents
    return f"L {left}% · C {center}% · R {right}% ({total})"


def _value(value: object) -> str:
    return "unrated" if value is None else str(value)


def shown(path: Path, relative_to: Path | None = None) -> str:
    base = (relative_to or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def format_report(report: OutletReport) -> str:
    o = report.outlet
    bias = f"{o.bias} ({o.bias.bucket.label})" if o.bias else "unrated (never counted as Center)"
    rated = o.rated_by or "no source given"
    if o.rated_on:
        rated += f", on {o.rated_on.isoformat()}"
    lines = [
        f"{report.key}: {o.name}",
        f"  url:         {o.url or '-'}",
        f"  bias:        {bias}",
        f"  factuality:  {_value(o.factuality)}",
        f"  ownership:   {_value(o.ownership)}",
        f"  owner:       {o.owner or '-'}",
        f"  country:     {o.country or '-'}",
        f"  rated by:    {rated}",
        "",
    ]
    count = len(report.stories)
    if not count:
        lines.append("No story cites this outlet.")
        return "\n".join(lines)
    lines.append(
        f"Cited by {count} stor{'ies' if count != 1 else 'y'} "
        f"({report.articles} article{'s' * (report.articles != 1)}):"
    )
    width = max(len(c.figures.slug) for c in report.stories)
    shares = largest_remainder([c.articles for c in report.stories]) or ()
    for c, share in zip(report.stories, shares, strict=True):
        story = c.figures.story
        draft = " [draft]" if story.draft else ""
        lines.append(
            f"  {c.figures.slug:<{width}}  {story.date.date().isoformat()}  {story.title}{draft}"
        )
        lines.append(
            f"  {'':<{width}}  {c.articles} article{'s' * (c.articles != 1)} "
            f"({share}% of its coverage)  {shown(c.path)}"
        )
    lines += ["", f"Its articles by side: {bias_line(report.bias)}"]
    return "\n".join(lines)
