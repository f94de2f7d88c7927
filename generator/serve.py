"""`parallax serve`: build, serve the output on localhost, rebuild on every change.

The server serves the output folder by path, so each rebuild's swap is picked up
by the next request. A failed rebuild prints its problems and keeps the last good
site online, as the build never leaves a half-written output.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .build import BuildFailed, Options, build
from .problems import Problem


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def start_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rebuild(options: Options, report: Callable[[Iterable[Problem]], None]) -> bool:
    try:
        done = build(options)
    except BuildFailed as failed:
        report(failed.problems)
        print(f"parallax serve: {failed}; still serving the last good build", file=sys.stderr)
        return False
    report(done.warnings)
    print(f"parallax serve: built {done.stories} stories", file=sys.stderr, flush=True)
    return True


def watched(options: Options) -> list[Path]:
    """Content, theme and settings: everything a build reads (publishconf.py
    imports pelicanconf.py, so both are watched)."""
    theme = options.settings.parent / "theme"
    paths = [options.content, options.settings, options.settings.parent / "pelicanconf.py"]
    return sorted({p for p in (*paths, theme) if p.exists()})


def serve(
    options: Options,
    host: str,
    port: int,
    report: Callable[[Iterable[Problem]], None],
) -> None:
    from watchfiles import watch

    rebuild(options, report)
    options.output.mkdir(parents=True, exist_ok=True)
    server = start_server(options.output, host, port)
    print(f"parallax serve: http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        for _changes in watch(*watched(options), debounce=300):
            rebuild(options, report)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
