"""Site settings for Pelican and Parallax (local preview; `publishconf.py` for the web).

`parallax build` reads this file; PATH and OUTPUT_PATH are set by the build, which
generates the Markdown Pelican reads. Every Parallax setting is documented in
docs/publishing.md.
"""

import os

SITENAME = "Parallax"
SITESUBTITLE = "Who covered the story, and from which side"
SITEURL = ""  # root-relative links for the local preview
FEED_DOMAIN = os.environ.get("PARALLAX_FEED_DOMAIN", "http://localhost:8000")
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
LOCALE = ("C.UTF-8", "C")  # dates in English; keep UTF-8 as the text encoding

THEME = "theme"
PLUGINS = ["generator.plugin"]

# --- Parallax -----------------------------------------------------------------
# Blindspot rule (content-format.md §2): a story with at least MIN_RATED rated
# sources is a blindspot for one side when that side has at most MAX_SHARE percent
# and the other side at least MIN_OTHER percent.
BLINDSPOT_MIN_RATED = 6
BLINDSPOT_MAX_SHARE = 20
BLINDSPOT_MIN_OTHER = 50
# Colours of the sides. US convention: Left blue, Right red. Editions where the
# convention is reversed swap them here; charts and badges follow.
PARALLAX_COLORS = {
    "left": "#1d5fa8",
    "center": "#9ca3af",
    "right": "#c43d1a",
    "unrated": "#dcdfe3",
}
PARALLAX_RELATED_STORIES = 5
PARALLAX_SOCIAL_CARDS = True

# --- URLs (content-format.md §3) ----------------------------------------------
ARTICLE_URL = "stories/{slug}/"
ARTICLE_SAVE_AS = "stories/{slug}/index.html"
DRAFT_URL = ""
DRAFT_SAVE_AS = ""
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
TAG_URL = "topics/{slug}/"
TAG_SAVE_AS = "topics/{slug}/index.html"
TAGS_URL = "topics/"
TAGS_SAVE_AS = "topics/index.html"
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
DIRECT_TEMPLATES = ["index", "tags", "outlets", "blindspot", "search", "404"]
OUTLETS_SAVE_AS = "outlets/index.html"
BLINDSPOT_SAVE_AS = "blindspot/index.html"
SEARCH_SAVE_AS = "search/index.html"
# 404.html at the root, as GitHub Pages expects.

DEFAULT_PAGINATION = 12
PAGINATED_TEMPLATES = {"index": None, "tag": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# --- Feeds --------------------------------------------------------------------
FEED_ALL_ATOM = "feeds/all.atom.xml"
TAG_FEED_ATOM = "feeds/topics/{slug}.atom.xml"
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 50

# --- Reading and rendering ----------------------------------------------------
MARKDOWN = {
    "extension_configs": {"markdown.extensions.tables": {}},
    "output_format": "html5",
}
FORMATTED_FIELDS = []  # the plugin sets summaries from the model: no second Markdown pass
SUMMARY_MAX_LENGTH = None
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}
STATIC_PATHS = []  # charts, cards and /api/ are placed by the build itself
RELATIVE_URLS = False
SLUGIFY_SOURCE = "basename"

AUTHOR = "Parallax editors"
