"""The parse cache: warm loads equal cold ones; an edit or a renamed file misses."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import OUTLETS, STORY, write_content

import generator
from generator.load import CACHE_KEY_SOURCES, ParseCache, load_content


def _bad(story: str) -> str:
    return story.replace("url: https://example.org/c", "url: ftp://example.org/c")


def test_warm_load_equals_cold_load(tmp_path: Path) -> None:
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY, "b": _bad(STORY)})
    cold = load_content(root, tmp_path / "cache")
    warm = load_content(root, tmp_path / "cache")
    assert cold.problems and warm.problems == cold.problems
    assert warm.problems == load_content(root).problems


def test_cached_story_is_the_same_model(tmp_path: Path) -> None:
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY})
    cold = load_content(root, tmp_path / "cache")
    warm = load_content(root, tmp_path / "cache")
    assert cold.content and warm.content
    assert warm.content.stories == cold.content.stories


def test_an_edit_is_seen(tmp_path: Path) -> None:
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY})
    load_content(root, tmp_path / "cache")
    (root / "stories" / "a.yaml").write_text(_bad(STORY), encoding="utf-8")
    result = load_content(root, tmp_path / "cache")
    assert [p.line for p in result.errors] == [24]  # the ftp:// URL


def test_same_bytes_under_another_name_gets_its_own_slug(tmp_path: Path) -> None:
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY})
    load_content(root, tmp_path / "cache")
    (root / "stories" / "a.yaml").rename(root / "stories" / "b.yaml")
    result = load_content(root, tmp_path / "cache")
    assert result.content and [s.slug for s in result.content.stories] == ["b"]


def test_a_cached_problem_names_the_file_it_came_from(tmp_path: Path) -> None:
    first = write_content(tmp_path / "one", OUTLETS, {"a": _bad(STORY)})
    second = write_content(tmp_path / "two", OUTLETS, {"a": _bad(STORY)})
    load_content(first, tmp_path / "cache")
    result = load_content(second, tmp_path / "cache")
    assert [p.path for p in result.errors] == [second / "stories" / "a.yaml"]


def test_a_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    key = cache.key("a.yaml", b"x")
    cache._pending.append((key, b"not a pickle"))
    cache.close()
    assert ParseCache(tmp_path / "cache").get(key) is None


def test_entries_are_kept_in_one_file_between_runs(tmp_path: Path) -> None:
    """One SQLite file, not a file per story (each file costs system calls)."""
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY, "b": STORY})
    load_content(root, tmp_path / "cache")
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".sqlite", ".sqlite-wal", ".sqlite-shm"}
    cache = ParseCache(tmp_path / "cache")
    for name in ("a.yaml", "b.yaml", "outlets.yaml"):
        raw = (root / ("stories" if name != "outlets.yaml" else "") / name).read_bytes()
        assert cache.get(cache.key(name, raw)) is not None, name
    cache.close()


def test_a_file_that_is_not_a_database_is_replaced(tmp_path: Path) -> None:
    cache = ParseCache(tmp_path / "cache")
    cache.close()
    cache.path.write_bytes(b"torn " * 1000)
    for name in (".sqlite-wal", ".sqlite-shm"):
        cache.path.with_suffix(name).unlink(missing_ok=True)
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY})
    cold = load_content(root, tmp_path / "cache")
    warm = load_content(root, tmp_path / "cache")
    assert cold.content and warm.content and warm.content.stories == cold.content.stories
    again = ParseCache(tmp_path / "cache")
    assert again.get(again.key("a.yaml", (root / "stories" / "a.yaml").read_bytes()))
    again.close()


def test_an_unusable_cache_folder_only_costs_the_cache(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the folder should be", encoding="utf-8")
    root = write_content(tmp_path / "c", OUTLETS, {"a": STORY})
    result = load_content(root, tmp_path / "cache")
    assert result.content and [s.slug for s in result.content.stories] == ["a"]


def test_the_cache_key_covers_every_module_load_reads_with() -> None:
    """An edit to any module load imports, directly or not, must miss the cache
    (files.py only computes the hash)."""
    package = Path(generator.__file__).parent
    pending, seen = ["load.py"], set()
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            tree = ast.parse((package / name).read_text())
            pending += [
                f"{node.module}.py"
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
            ]
    assert seen - {"files.py"} <= set(CACHE_KEY_SOURCES)
    assert {"parse.py", "folder.py"} <= seen
