"""`problems`: the two ways editors read a problem, and "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.problems import Problem, Severity, did_you_mean, errors

ERROR = Problem(Path("/site/content/stories/a.yaml"), 3, 7, "title: must not be empty")
WARNING = Problem(
    Path("/site/content/outlets.yaml"), 1, 1, "outlet 'x' is unused", Severity.WARNING
)


def test_text_is_what_compilers_print() -> None:
    assert ERROR.text() == "/site/content/stories/a.yaml:3:7: error: title: must not be empty"
    assert WARNING.text() == "/site/content/outlets.yaml:1:1: warning: outlet 'x' is unused"


def test_paths_are_shown_relative_when_possible() -> None:
    assert ERROR.text(Path("/site")).startswith("content/stories/a.yaml:3:7: ")
    assert ERROR.text(Path("/elsewhere")).startswith("/site/content/stories/a.yaml:3:7: ")


def test_github_workflow_command() -> None:
    assert ERROR.github(Path("/site")) == (
        "::error file=content/stories/a.yaml,line=3,col=7::title: must not be empty"
    )
    assert WARNING.github(Path("/site")).startswith("::warning file=content/outlets.yaml,line=1,")


def test_github_escapes_the_message() -> None:
    problem = Problem(Path("a.yaml"), 1, 2, "100% sure\r\nnext line: a, b")
    assert problem.github() == "::error file=a.yaml,line=1,col=2::100%25 sure%0D%0Anext line: a, b"


def test_github_escapes_properties() -> None:
    problem = Problem(Path("dir,1/we:ird%\nname.yaml"), 1, 2, "m")
    assert problem.github() == ("::error file=dir%2C1/we%3Aird%25%0Aname.yaml,line=1,col=2::m")


def test_escaping_percent_first_so_nothing_is_escaped_twice() -> None:
    problem = Problem(Path("%2C.yaml"), 1, 1, "%0A")
    assert problem.github() == "::error file=%252C.yaml,line=1,col=1::%250A"


def test_problems_sort_by_place() -> None:
    later = Problem(Path("a.yaml"), 10, 1, "x")
    sooner = Problem(Path("a.yaml"), 2, 5, "y")
    assert sorted([later, sooner]) == [sooner, later]


def test_errors_keeps_errors_only() -> None:
    assert errors([ERROR, WARNING]) == [ERROR]


@pytest.mark.parametrize(
    ("word", "choices", "hint"),
    [
        ("topcis", ["title", "topics", "date"], " (did you mean 'topics'?)"),
        ("reuter", ["reuters", "reuters-uk", "bbc"], " (did you mean 'reuters', 'reuters-uk'?)"),
        ("zzz", ["title", "topics"], ""),
        ("x", [], ""),
    ],
)
def test_did_you_mean(word: str, choices: list[str], hint: str) -> None:
    assert did_you_mean(word, choices) == hint
