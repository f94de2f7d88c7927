"""Phase 4: the Pelican plugin. Carries the validated, computed site into Pelican.

The build passes a `Rendered` object in the settings (`PARALLAX`); nothing here
reads YAML or recomputes a figure. The plugin
- sanitizes every rendered body (editor Markdown never ships raw HTML),
- attaches each story's figures, charts and related stories to its article and
  sets its title, topics (as Pelican tags, with our slugs) and summary from the model,
- adds the outlet profile pages, the JSON files of §3 and `robots.txt`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import escape
from pelican import signals
from pelican.contents import Article, Content, Page
from pelican.generators import ArticlesGenerator, Generator
from pelican.urlwrappers import Tag

from .render import Rendered, robots_txt, sync_file
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
        instance._content = clean_story(instance._content or "", f"{site}/{instance.url}")
    elif isinstance(instance, Page):
        instance._content = clean_page(instance._content or "", site)


def attach_stories(generator: ArticlesGenerator) -> None:
    rendered = _rendered(generator.settings)
    tags = {
        topic.slug: _tag(topic.name, topic.slug, generator.settings)
        for topic in rendered.site.topics
    }
    for article in generator.articles:
        figures = rendered.story(article.metadata["story"])
        article.figures = figures
        article.story = figures.story
        article.charts = rendered.charts.get(figures.slug)
        article.card = rendered.cards.get(figures.slug)
        article.related = rendered.site.related(figures, rendered.related_limit)
        # Pelican takes a title for HTML (its feeds strip the tags); ours is plain text.
        article.title = escape(figures.story.title)
        article.tags = [tags[t.slug] for t in figures.topics]
        article.metadata["summary"] = rendered.summaries[figures.slug]
    _sitemap_clock(rendered)


def _sitemap_clock(rendered: Rendered) -> None:
    """pelican-sitemap dates listing pages with the wall clock (`generator.now`, its
    only knob): use the newest content date instead, so builds are reproducible."""
    try:
        from pelican.plugins.sitemap import sitemap
    except ImportError:  # pragma: no cover - plugin not installed
        return
    stories = rendered.site.stories
    if stories:
        sitemap.generator.now = max(s.coverage.last_updated for s in stories)


def _tag(name: str, slug: str, settings: dict[str, Any]) -> Tag:
    tag = Tag(name, settings)
    tag.slug = slug
    return tag


class ParallaxGenerator(Generator):
    """Outlet profiles, the API files and robots.txt, from the same computed site."""

    def generate_output(self, writer: Any) -> None:
        rendered = _rendered(self.settings)
        template = self.get_template("outlet")
        for outlet in rendered.site.outlets:
            writer.write_file(
                f"outlets/{outlet.key}/index.html",
                template,
                self.context,
                outlet=outlet,
                url=f"outlets/{outlet.key}/",
                page_name=f"outlets/{outlet.key}/index",
            )
        rendered.write_api(self.output_path)
        sync_file(Path(self.output_path) / "robots.txt", robots_txt(self.settings).encode())


def add_generator(pelican: Any) -> type[Generator]:
    return ParallaxGenerator


def register() -> None:
    signals.content_object_init.connect(sanitize)
    signals.article_generator_pretaxonomy.connect(attach_stories)
    signals.get_generators.connect(add_generator)
