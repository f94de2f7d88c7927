"""Settings for the published site: absolute URLs from the SITEURL environment variable.

`make publish` (and the GitHub Pages workflow) builds with this file, e.g.
`SITEURL=https://user.github.io/repo make publish`.
"""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "https://example.org").rstrip("/")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = False
