"""`folder`: which files make the content folder.

Hostile folders (symlinks out of it, loops, FIFOs, a 300-deep tree, oversized
files) are proven through `parallax check` in tests/test_limits.py.
"""

from __future__ import annotations

from pathlib import Path

from conftest import STORY, write_content

from generator.load import load_content


def test_stories_in_sub_folders_and_yml(tmp_path: Path) -> None:
    root = write_content(
        tmp_path,
        stories={
            "2025/05/talks.yml": STORY,
            "other.yaml": STORY.replace("https://example.org/a", "https://example.org/z"),
        },
    )
    result = load_content(root)
    assert result.content is not None
    assert sorted(s.slug or "" for s in result.content.stories) == ["other", "talks"]


def test_a_missing_registry_is_an_error(tmp_path: Path) -> None:
    root = write_content(tmp_path, outlets=None, stories={"talks": STORY})
    (problem,) = load_content(root).errors
    assert problem.path == root / "outlets.yaml"
    assert problem.message == "the outlet registry is missing"
