"""`parallax`: a thin shell over the phases. Argument parsing and exit codes only.

Exit codes: 0 success, 1 content errors (or warnings with --strict) or a failed
build, 2 usage, 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .folder import story_files
from .load import load_content
from .problems import Problem

PROJECT = Path(__file__).resolve().parent.parent


def _content_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content",
        type=Path,
        default=PROJECT / "content",
        metavar="DIR",
        help="content folder (default: content/ of the project)",
    )


def print_problems(problems: Sequence[Problem], fmt: str, root: Path | None = None) -> None:
    for problem in problems:
        line = problem.github(root) if fmt == "github" else problem.text(root)
        print(line, file=sys.stdout if fmt == "github" else sys.stderr)


def _summary(problems: Sequence[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def cmd_check(args: argparse.Namespace) -> int:
    if not args.content.is_dir():
        print(f"parallax check: no content folder at {args.content}", file=sys.stderr)
        return 2
    from .build import gc_paused

    with gc_paused():
        result = load_content(args.content)
    print_problems(result.problems, args.format, Path.cwd())
    failed = bool(result.errors) or (args.strict and bool(result.warnings))
    if args.format == "text":
        stories = len(story_files(args.content))  # checked, whether they loaded or not
        verdict = "failed" if failed else "ok"
        print(f"parallax check: {verdict}: {stories} {'story' if stories == 1 else 'stories'}, "
              f"{_summary(result.problems)}", file=sys.stderr)
    return 1 if failed else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .schema import write_schemas

    for path in write_schemas(args.output):
        print(path)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .workers import draws_charts, warm_up

    if draws_charts(args.output, None if args.no_cache else args.cache):
        warm_up()  # the workers' imports on the other core while the build imports its own
    from .build import BuildFailed, Options, build

    options = Options(
        content=args.content, output=args.output, settings=args.settings, work=args.work,
        search=not args.no_search, cache=None if args.no_cache else args.cache,
    )
    try:
        with _progress() as progress:
            report = build(options, progress)
    except BuildFailed as failed:
        print_problems(failed.problems, "text", Path.cwd())
        print(f"parallax: build failed: {failed}", file=sys.stderr)
        return 1
    print_problems(report.warnings, "text", Path.cwd())
    if args.timings:
        for phase, seconds in report.timings.items():
            print(f"{phase:>10}  {seconds:7.3f} s", file=sys.stderr)
    print(f"parallax build: {report.stories} stories → {args.output}", file=sys.stderr)
    return 0


PHASES = {
    "load": "reading and checking the content",
    "figures": "computing the figures",
    "render": "starting the charts, writing Markdown",
    "pelican": "rendering the pages",
    "search": "indexing the search",
    "charts": "finishing the charts",
    "publish": "publishing",
}


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A spinner naming the phase on a terminal (rich, which Pelican already uses);
    silent when stderr is a file or a pipe, as in CI logs."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _: None
        return
    with console.status("parallax build") as status:
        yield lambda phase: status.update(f"parallax build: {PHASES.get(phase, phase)}…")


def cmd_serve(args: argparse.Namespace) -> int:
    from .build import Options
    from .serve import serve

    if not args.content.is_dir():
        print(f"parallax serve: no content folder at {args.content}", file=sys.stderr)
        return 2
    options = Options(
        content=args.content, output=args.output, work=args.work, settings=args.settings
    )
    serve(options, args.host, args.port, lambda found: print_problems(list(found), "text"))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import main as bench

    return bench(args)


def cmd_new(args: argparse.Namespace) -> int:
    from .report import shown
    from .scaffold import ScaffoldError, new_story

    try:
        made = new_story(args.title, args.content, day=args.date, topics=args.topic)
    except ScaffoldError as failed:
        print(f"parallax new: {failed}", file=sys.stderr)
        return 1
    print_problems(made.warnings, "text", Path.cwd())
    print(shown(made.path))
    return 0


def cmd_outlet(args: argparse.Namespace) -> int:
    from .report import UnknownOutlet, format_report, load_lenient, outlet_report

    if not args.content.is_dir():
        print(f"parallax outlet: no content folder at {args.content}", file=sys.stderr)
        return 2
    loaded = load_lenient(args.content)
    try:
        report = outlet_report(loaded, args.key)
    except UnknownOutlet as unknown:
        print(f"parallax outlet: {unknown.args[0]}", file=sys.stderr)
        return 1
    print(format_report(report))
    if loaded.errors:
        print(f"parallax outlet: the content has {_summary(loaded.errors)}; stories that do "
              "not validate are not listed (run `parallax check`)", file=sys.stderr)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .build import read_settings, thresholds
    from .diff import DiffError, diff, formatted

    try:
        result = diff(args.content, args.base, thresholds(read_settings(args.settings, {})))
    except DiffError as bad:
        print(f"parallax diff: {bad}", file=sys.stderr)
        return 2
    print(formatted(result, args.format))
    if result.errors:
        print_problems(result.problems, "text", Path.cwd())
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="parallax", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate the content; print every problem")
    _content_arg(check)
    check.add_argument("--format", choices=("text", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.set_defaults(run=cmd_check)

    build = commands.add_parser(
        "build", help="validate, then build the site", epilog=BUILD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _content_arg(build)
    build.add_argument("--output", type=Path, default=PROJECT / "output", metavar="DIR")
    build.add_argument(
        "--settings", type=Path, default=PROJECT / "pelicanconf.py", metavar="FILE",
        help="Pelican settings (publishconf.py for the published site)",
    )
    build.add_argument(
        "--work", type=Path, default=PROJECT / "build", metavar="DIR",
        help="build folder for generated Markdown and caches (default: build/)",
    )
    build.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    build.add_argument(
        "--cache", type=Path, default=PROJECT / ".cache", metavar="DIR",
        help="parse cache, keyed by content (default: .cache/)",
    )
    build.add_argument("--no-cache", action="store_true",
                       help="no parse cache, no incremental rendering: a cold build")
    build.add_argument("--timings", action="store_true", help="print the time of each phase")
    build.set_defaults(run=cmd_build)

    serve = commands.add_parser("serve", help="build, serve on localhost, rebuild on changes")
    _content_arg(serve)
    serve.add_argument("--output", type=Path, default=PROJECT / "output", metavar="DIR")
    serve.add_argument("--work", type=Path, default=PROJECT / "build", metavar="DIR")
    serve.add_argument("--settings", type=Path, default=PROJECT / "pelicanconf.py",
                       metavar="FILE", help="Pelican settings; its theme is watched too")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)

    schema = commands.add_parser("schema", help="write the JSON Schemas editors use")
    schema.add_argument("--output", type=Path, default=PROJECT / "schema", metavar="DIR")
    schema.set_defaults(run=cmd_schema)

    from .scaffold import parse_day

    new = commands.add_parser("new", help="write a new story file from a template")
    new.add_argument("title", help="the story's headline (the file name is made from it)")
    new.add_argument("--date", type=parse_day, metavar="YYYY-MM-DD", help="default: today")
    new.add_argument("--topic", action="append", default=[], metavar="T",
                     help="a topic (repeat for several)")
    _content_arg(new)
    new.set_defaults(run=cmd_new)

    outlet = commands.add_parser("outlet", help="what the registry and the stories say "
                                 "about one outlet")
    outlet.add_argument("key", help="an outlet key of outlets.yaml")
    _content_arg(outlet)
    outlet.set_defaults(run=cmd_outlet)

    diff = commands.add_parser("diff", help="stories added, changed and removed since a "
                               "git revision, with their figures")
    diff.add_argument("base", nargs="?", metavar="BASE",
                      help="git revision (default: origin/main if it exists, else HEAD)")
    _content_arg(diff)
    diff.add_argument("--format", choices=("text", "markdown"), default="text")
    diff.add_argument("--settings", type=Path, default=PROJECT / "pelicanconf.py",
                      metavar="FILE", help="settings with the blindspot rule")
    diff.set_defaults(run=cmd_diff)

    from .bench import add_arguments as bench_arguments

    bench = commands.add_parser("bench", help="time the build on synthetic corpora")
    bench_arguments(bench)
    bench.set_defaults(run=cmd_bench)
    return root


BUILD_EPILOG = """\
The output folder changes only when the whole build succeeded; a failure leaves it
as it was and prints `parallax: build failed: <reason>`.
exit codes: 0 built, 1 content errors or a failed build, 2 usage,
            130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM)"""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM as an exception, so that the same clean-up runs for both
    (SIGTERM's default would end Python at once: no `finally`, charts' workers left)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Both signals raise `Interrupted` while a command runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {kind: signal.signal(kind, _interrupt) for kind in kinds}
    try:
        yield
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, signal.SIG_DFL if handler is None else handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        with _signals_raise():
            code: int = args.run(args)
    except KeyboardInterrupt as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"parallax: {args.command} interrupted ({signal.Signals(signum).name})",
              file=sys.stderr)
        return 128 + signum
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
