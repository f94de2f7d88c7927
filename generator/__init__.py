"""Parallax: news story digests as a static site (YAML → model → Markdown + charts → Pelican)."""
