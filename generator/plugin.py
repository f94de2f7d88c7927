"""Phase 4: the Pelican plugin. Carries the validated, computed site into Pelican.

The build passes a `Rendered` object in the settings (`PARALLAX`); nothing here
reads YAML or recomputes a figure. The plugin
- sanitizes every rendered body (editor Markdown never ships raw HTML),
- attaches each story's figures, charts and related stories to its article and
  sets its title, topics (as Pelican tags, with our slugs) and summary from the model,
- adds the outlet profile pages, the JSON files of §3, `robots.txt` and the
  side colours' stylesheet.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markdown import Markdown
from markupsafe import escape
from pelican import signals
from pelican.contents import Article, Content, Page
from pelican.generators import ArticlesGenerator, Generator
from pelican.readers import MarkdownReader, Readers
from pelican.urlwrappers import Tag
from pelican.utils import pelican_open
from pelican.writers import FileOverwriteFailedError, Writer

from .files import sync_file
from .forked import Forked
from .helpers import OUTLET_URL, TEMPLATE_GLOBALS, url_helpers
from .markdown import link_citations
from .render import Rendered, robots_txt, sitemap_xml
from .sanitize import clean_page, clean_story


def _rendered(settings: dict[str, Any]) -> Rendered:
    rendered = settings.get("PARALLAX")
    if not isinstance(rendered, Rendered):
        raise RuntimeError("generator.plugin runs inside `parallax build` only")
    return rendered


def sanitize(instance: Content) -> None:
    """Every body Pelican rendered from Markdown goes through the allowlist."""
    site = instance.settings.get("SITEURL", "")
    if isinstance(instance, Article):
        body = link_citations(instance._content or "")
        instance._content = clean_story(body, f"{site}/{instance.url}")
    elif isinstance(instance, Page):
        instance._content = clean_page(instance._content or "", site)


def attach_stories(generator: ArticlesGenerator) -> None:
    rendered = _rendered(generator.settings)
    tags = {
        topic.slug: _tag(topic.name, topic.slug, generator.settings)
        for topic in rendered.site.topics
    }
    for article in generator.articles:
        figures = rendered.site.story(article.metadata["story"])
        article.figures = figures
        article.story = figures.story
        article.charts = rendered.charts.get(figures.slug)
        article.card = rendered.cards.get(figures.slug)
        article.related = rendered.site.related(figures, rendered.related_limit)
        # Pelican takes a title for HTML (its feeds strip the tags); ours is plain text.
        article.title = escape(figures.story.title)
        article.tags = [tags[t.slug] for t in figures.topics]
        article.metadata["summary"] = rendered.summaries[figures.slug]


def add_template_globals(generator: Generator) -> None:
    """The Python helpers (dates, counts, labels, URLs) in every template, and
    `once(macro, ...)`: fragments rendered once per build."""
    generator.env.globals.update(TEMPLATE_GLOBALS, **url_helpers(generator.settings))
    rendered = generator.settings.get("PARALLAX")
    if isinstance(rendered, Rendered):
        generator.env.globals["once"] = rendered.once


def _tag(name: str, slug: str, settings: dict[str, Any]) -> Tag:
    tag = Tag(name, settings)
    tag.slug = slug
    return tag


def colors_css(colors: Mapping[str, str]) -> str:
    """PARALLAX_COLORS as CSS custom properties: a file, not a `<style>` element, as
    the Content-Security-Policy allows only the site's own stylesheets."""
    declarations = "".join(f"--{side}:{colour};" for side, colour in colors.items())
    return f":root{{{declarations}}}\n"


class ParallaxGenerator(Generator):
    """Outlet profiles, the API files, robots.txt and the colours, from the same
    computed site.

    Profiles and API files depend on the computed site alone, not on Pelican's
    articles: a forked copy of the build writes them (`forked`), started as Pelican
    starts, while this process reads and writes the stories (a fifth of Pelican's
    work at 1,000 stories). Where processes cannot fork, they are written here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.forked = Forked.start(self._write_profiles_alone,
                                   into=_rendered(self.settings).forked)

    def _write_profiles_alone(self) -> None:
        """(In the forked copy.) With a writer of its own."""
        self.write_profiles(SelectiveWriter(self.output_path, settings=self.settings))

    def write_profiles(self, writer: Any) -> None:
        rendered = _rendered(self.settings)
        template = self.get_template("outlet")
        for outlet in rendered.site.outlets:
            url = OUTLET_URL.format(key=outlet.key)
            writer.write_file(
                f"{url}index.html", template, self.context,
                outlet=outlet, url=url, page_name=f"{url}index",
            )
        rendered.write_api(self.output_path)

    def generate_output(self, writer: Any) -> None:
        rendered = _rendered(self.settings)
        if self.forked is None:
            self.write_profiles(writer)
        rendered.wait_forked()  # the profiles, and the listings and feeds
        sync_file(Path(self.output_path) / "robots.txt", robots_txt(self.settings).encode())
        static = Path(self.output_path) / self.settings["THEME_STATIC_DIR"]
        sync_file(static / "css" / "colors.css", colors_css(rendered.colors).encode("utf-8"))
        pages = [p.slug for p in self.context.get("pages", ())]
        sitemap = sitemap_xml(rendered.site, self.settings.get("SITEURL", ""), pages)
        sync_file(Path(self.output_path) / "sitemap.xml", sitemap.encode("utf-8"))


class SelectiveWriter(Writer):
    """Pelican's writer, rendering only the pages the incremental plan selected
    (the check comes before the template renders, which is the cost), and writing
    each file as a new one (temp file, then rename): a file is never changed in
    place, so the output can share it by hard link and stays whole if a build fails."""

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
        """Pelican's bookkeeping (a file written twice is an error unless one write
        overrides; a second override is skipped), without its `open(filename, "w")`,
        which would create the target, or empty it in place, before the new file is
        renamed over it: one file created per page instead of two."""
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" a second time')
            return open(os.devnull, "w", encoding=encoding)  # noqa: SIM115
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(f'Failed to overwrite "{filename}": already written')
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return _Replacing(filename, encoding)

    #: `share`: which of the articles generator's pages this writer writes (the
    #: rest are a forked copy's): story pages alone, or everything else (listings,
    #: topics, feeds); None: all.
    STORIES, LISTINGS = "stories", "listings"

    def __init__(self, output_path: str, settings: Any = None, share: str | None = None
                 ) -> None:
        super().__init__(output_path, settings=settings)
        self.share = share

    def _skips(self, name: str | None, story: bool) -> bool:
        if self.share is not None and story != (self.share == self.STORIES):
            return True
        rendered = self.settings.get("PARALLAX")
        return isinstance(rendered, Rendered) and bool(name) and not rendered.selects(str(name))

    def write_file(self, name: Any, template: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        if self._skips(name, story=kwargs.get("article") is not None):
            return None
        return super().write_file(name, template, context, *args, **kwargs)

    def write_feed(self, elements: Any, context: Any, path: Any = None, *args: Any,
                   **kwargs: Any) -> Any:
        if self._skips(path, story=False):
            return None
        return super().write_feed(elements, context, path, *args, **kwargs)


class SharingWriter(SelectiveWriter):
    """The writer Pelican makes for the build's output. In a full build, a forked
    copy writes the articles generator's listings, topic pages and feeds while
    this process writes the story pages (the longest part of Pelican's work, on
    the build's longest path). A static split by kind, not page by page: each
    process compiles and renders only its own templates. Where processes cannot
    fork, this process writes them all."""

    def __init__(self, output_path: str, settings: Any = None) -> None:
        super().__init__(output_path, settings=settings)
        rendered = _rendered(self.settings)
        articles = next((g for g in rendered.generators if isinstance(g, ArticlesGenerator)),
                        None)
        if rendered.selected is not None or articles is None:
            return  # an incremental build writes a few pages: not worth a copy

        def listings() -> None:
            """(In the forked copy.)"""
            articles.generate_output(SelectiveWriter(output_path, self.settings,
                                                     share=self.LISTINGS))

        if Forked.start(listings, into=rendered.forked) is not None:
            self.share = self.STORIES


def keep_generators(generators: list[Generator]) -> None:
    """(Once every generator has its context.)"""
    if generators:
        _rendered(generators[0].settings).generators[:] = generators


def articles_written(generator: Generator, writer: Writer) -> None:
    """Only the articles generator's pages are shared: from here on this process
    writes every page."""
    if isinstance(writer, SelectiveWriter):
        writer.share = None


class _Replacing(io.TextIOWrapper):
    """A new text file: created in place when there is no file of that name (a full
    build's fresh folder), else written beside its target and renamed over it when
    closed, so a file the output shares is never changed (a failed build discards
    the work folder's state: see `build`)."""

    def __init__(self, path: str, encoding: str) -> None:
        self.target, self.tmp = path, ""
        try:
            raw = open(path, "xb")  # noqa: SIM115
        except FileExistsError:
            self.tmp = f"{path}.{os.getpid()}.tmp"
            raw = open(self.tmp, "wb")  # noqa: SIM115
        super().__init__(raw, encoding=encoding)

    def close(self) -> None:
        if not self.closed:
            super().close()
            if self.tmp:
                os.replace(self.tmp, self.target)


class ReusedMarkdownReader(MarkdownReader):
    """Pelican's Markdown reader with one converter for every file, reset between
    them: Pelican builds a new one per file, and building its parser was a fifth
    of reading a story (~0.2 s of a 1,000-story build)."""

    #: The priority `markdown.extensions.meta` registers its preprocessor with.
    META_PRIORITY = 27

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        converter = getattr(self, "_converter", None)
        if converter is None:
            converter = self._converter = Markdown(**self.settings["MARKDOWN"])
            self._meta = converter.preprocessors["meta"]
        else:
            converter.reset()
        # Pelican's metadata step deregisters the metadata preprocessor (so a
        # formatted field is not read as metadata); the next file needs it back.
        if "meta" not in converter.preprocessors:
            converter.preprocessors.register(self._meta, "meta", self.META_PRIORITY)
        self._source_path, self._md = source_path, converter
        with pelican_open(source_path) as text:
            content = converter.convert(text)
        meta = getattr(converter, "Meta", None)
        return content, self._parse_metadata(meta) if meta is not None else {}


def use_reused_markdown(readers: Readers) -> None:
    """(Called before Pelican makes its readers from these classes.)"""
    for extension, cls in readers.reader_classes.items():
        if cls is MarkdownReader:
            readers.reader_classes[extension] = ReusedMarkdownReader


def selective_writer(pelican: Any) -> type[Writer]:
    return SharingWriter


def add_generator(pelican: Any) -> type[Generator]:
    return ParallaxGenerator


def register() -> None:
    signals.generator_init.connect(add_template_globals)
    signals.content_object_init.connect(sanitize)
    signals.article_generator_pretaxonomy.connect(attach_stories)
    signals.get_generators.connect(add_generator)
    signals.get_writer.connect(selective_writer)
    signals.all_generators_finalized.connect(keep_generators)
    signals.article_writer_finalized.connect(articles_written)
    signals.readers_init.connect(use_reused_markdown)
