"""`parallax serve` through the CLI: it serves the site and rebuilds on an edit."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT.parent / "shared" / "examples" / "content"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode("utf-8"))
    except OSError:
        return None


def _wait_for(predicate, seconds: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    return None


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="shared examples not present")
def test_serve_builds_serves_and_rebuilds_on_edit(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator.cli",
            "serve",
            "--content",
            str(content),
            "--output",
            str(tmp_path / "out"),
            "--work",
            str(tmp_path / "work"),
            "--port",
            str(port),
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/stories/istanbul-peace-talks/"
    try:
        page = _wait_for(lambda: _get(url))
        assert page and "Istanbul Peace Talks" in page
        story = content / "stories" / "istanbul-peace-talks.yaml"
        story.write_text(
            story.read_text(encoding="utf-8").replace(
                "title: Analysis-Istanbul", "title: Edited-Istanbul", 1
            ),
            encoding="utf-8",
        )
        assert _wait_for(lambda: "Edited-Istanbul" in (_get(url) or ""))
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "http://127.0.0.1" in output


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="shared examples not present")
def test_serve_rebuilds_when_the_theme_or_the_settings_change(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT / "theme", project / "theme")
    shutil.copy(PROJECT / "pelicanconf.py", project / "pelicanconf.py")
    content = tmp_path / "content"
    shutil.copytree(EXAMPLE, content)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", "--content", str(content),
         "--output", str(tmp_path / "out"), "--work", str(tmp_path / "work"),
         "--settings", str(project / "pelicanconf.py"), "--port", str(port)],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        assert _wait_for(lambda: _get(url))
        base = project / "theme" / "templates" / "base.html"
        base.write_text(base.read_text("utf-8").replace(
            "</body>", "<!-- theme edited --></body>"), "utf-8")
        assert _wait_for(lambda: "theme edited" in (_get(url) or ""))
        conf = project / "pelicanconf.py"
        conf.write_text(conf.read_text("utf-8").replace(
            'SITENAME = "Parallax"', 'SITENAME = "Parallax Preview"'), "utf-8")
        assert _wait_for(lambda: "Parallax Preview" in (_get(url) or ""))
    finally:
        process.terminate()
        process.communicate(timeout=10)
