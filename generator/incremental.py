"""Which pages a rebuild must render: a pure plan from the last build's manifest.

Every story gets two keys. Its *card key* covers what other pages show of it
(title, dates, summary, topics, location, figures, its articles as outlet profiles
list them); its *page key*
covers its own page (the whole story, its charts, its related stories). The *site
key* covers what every page shows: code, theme, settings, registry, editor pages
and every card key in order. When the site key is unchanged, only the pages of
stories whose page key changed (and the feeds that carry them) are rendered again;
anything else is a full build. The usual editor change (a key point, a perspective,
the timeline or an excerpt reworded) is therefore a few files.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import api
from .figures import SiteFigures, StoryFigures
from .files import files_digest

Selection = frozenset[str] | None  # output paths to render; None: all of them


@dataclass(frozen=True)
class Manifest:
    site: str
    pages: dict[str, str] = field(default_factory=dict)  # slug → page key
    topics: dict[str, list[str]] = field(default_factory=dict)  # slug → topic slugs
    #: The output folder this build published: path and state mark (see `made`).
    output: list[Any] = field(default_factory=list)


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def card_key(figures: StoryFigures, charts: Any = None) -> str:
    story = figures.story
    return digest(
        {
            "slug": figures.slug,
            "title": story.title,
            "date": story.date,
            "updated": story.updated,
            "summary": story.summary or story.key_points[0],  # what cards show
            "topics": story.topics,
            "location": story.location,
            "bias": api.bias_json(figures.bias),
            "articles": figures.coverage.articles,
            "blindspot": figures.blindspot,
            # outlet profiles list each story's articles from that outlet
            "entries": [
                (e.source.outlet, e.bias, e.source.title, e.source.url) for e in figures.entries
            ],
            "chart": getattr(getattr(charts, "bias", None), "filename", None),
            "card": getattr(getattr(charts, "card", None), "filename", None),
        }
    )


def page_key(figures: StoryFigures, site: SiteFigures, charts: Any, limit: int) -> str:
    """The story itself (its figures follow from it and the registry, which the
    site key covers), its charts and its related stories."""
    specs = charts.all() if charts is not None else ()
    # The story's JSON hashed as it is: embedded in `digest`'s JSON it would be
    # escaped again (~14 kB a story; 0.4 s at 10,000 stories).
    h = hashlib.sha256(figures.story.model_dump_json().encode("utf-8"))
    h.update(digest({
        "charts": [(spec.filename, spec.alt) for spec in specs],
        "related": [s.slug for s in site.related(figures, limit)],
    }).encode())
    return h.hexdigest()[:32]


@functools.cache
def code_digest() -> str:
    """This package's source: output made by other code is never reused."""
    here = Path(__file__).parent
    return files_digest(here.glob("*.py"), here)


def settings_digest(settings: Mapping[str, Any]) -> str:
    """Plain values of the settings (what templates read); objects are left out."""
    plain = (str, int, float, bool, type(None), list, tuple, dict)
    return digest({k: v for k, v in settings.items() if isinstance(v, plain) and k.isupper()})


def manifest(
    site: SiteFigures,
    charts: Mapping[str, Any],
    related_limit: int,
    inputs: Iterable[str],
) -> Manifest:
    """`inputs`: digests of everything else every page depends on."""
    cards = [(s.slug, card_key(s, charts.get(s.slug))) for s in site.stories]
    return Manifest(
        site=digest([*inputs, cards]),
        pages={s.slug: page_key(s, site, charts.get(s.slug), related_limit) for s in site.stories},
        topics={s.slug: [t.slug for t in s.topics] for s in site.stories},
    )


def changed(previous: Manifest | None, current: Manifest) -> frozenset[str] | None:
    """Stories whose page changed; None when every page did (a full build)."""
    if previous is None or previous.site != current.site:
        return None
    return frozenset(s for s, key in current.pages.items() if previous.pages.get(s) != key)


def plan(previous: Manifest | None, current: Manifest, settings: Mapping[str, Any]) -> Selection:
    """The output paths to render again, or None for a full build."""
    changed_slugs = changed(previous, current)
    if changed_slugs is None:
        return None
    selected: set[str] = set()
    for slug in sorted(changed_slugs):
        selected.add(str(settings["ARTICLE_SAVE_AS"]).format(slug=slug))
        for topic in current.topics.get(slug, ()):
            if settings.get("TAG_FEED_ATOM"):
                selected.add(str(settings["TAG_FEED_ATOM"]).format(slug=topic))
    if changed_slugs and settings.get("FEED_ALL_ATOM"):
        selected.add(str(settings["FEED_ALL_ATOM"]))
    return frozenset(selected)


#: The extended attribute that names the state a build left an output folder in.
_MARK = "user.parallax.build"


def _identity(output: Path) -> list[Any]:
    """The output folder as a manifest names it: its path and the state mark it
    carries. The mark lives on the folder itself (an extended attribute: never
    published, gone with the folder, so a folder deleted and made again has none,
    even with the same inode back; other tools may add files to it, Pagefind say).
    Where the file system keeps no attributes, device and inode stand in."""
    mark = _mark(output)
    if mark is None:
        st = output.stat()
        mark = f"inode {st.st_dev} {st.st_ino}"
    return [str(output), mark]


def _mark(output: Path) -> str | None:
    """The folder's state mark ("" when it has none); None where there are no marks."""
    try:
        return os.getxattr(output, _MARK).decode()
    except AttributeError:  # a system without extended attributes (macOS's os module)
        return None
    except OSError as exc:
        if exc.errno == errno.ENODATA:
            return ""
        if exc.errno in _NO_ATTRIBUTES:
            return None
        raise


#: The file system (or system) keeps no extended attributes.
_NO_ATTRIBUTES = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EPERM}


def published(value: Manifest, output: Path) -> Manifest:
    """The manifest, with the output folder it was just published to, marked with
    this build's digest of every page."""
    try:
        os.setxattr(output, _MARK, digest([value.site, value.pages]).encode())
    except AttributeError:
        pass
    except OSError as exc:
        if exc.errno not in _NO_ATTRIBUTES:
            raise
    return replace(value, output=_identity(output))


def made(previous: Manifest | None, output: Path) -> bool:
    """Whether `output` is the very folder the last build published, in the state it
    left it (not deleted, replaced, restored from elsewhere or another one): only
    then can a rebuild change just a few files of it."""
    if previous is None or not previous.output:
        return False
    try:
        return previous.output == _identity(output)
    except OSError:
        return False


def read_manifest(path: Path) -> Manifest | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(site=data["site"], pages=data["pages"], topics=data["topics"],
                        output=list(data.get("output", [])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_manifest(path: Path, value: Manifest) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(value), sort_keys=True), encoding="utf-8")
    tmp.replace(path)
