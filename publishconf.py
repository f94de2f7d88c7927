"""Settings for the published site: absolute URLs from the SITEURL environment variable.

`make publish` (and the GitHub Pages workflow) builds with this file:

    SITEURL=https://user.github.io/repo make publish      # or: make publish SITEURL=...

SITEURL is the address of the site's root, with its sub-path if it has one
(`https://user.github.io/repo` for a project site); every link, feed entry, sitemap
entry, canonical URL and social card is made absolute from it. Without it the site
is built for http://localhost:8000 (a warning says so). docs/publishing.md has every
setting.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # pelicanconf beside it
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "").strip().rstrip("/")
if not SITEURL:
    SITEURL = "http://localhost:8000"
    print(f"publishconf: SITEURL is not set; building for {SITEURL}", file=sys.stderr)
if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", SITEURL):
    raise ValueError(
        f"SITEURL must be an absolute http(s) URL without query or fragment, not {SITEURL!r}"
    )
FEED_DOMAIN = SITEURL  # feeds link to the site with its domain (and sub-path)
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = False
