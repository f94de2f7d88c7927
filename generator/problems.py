"""Problems found in content, and the two ways editors read them.

Text for terminals (`file:line:col: error: message`, what compilers print and
editors link), GitHub workflow commands for pull requests (an annotation on the
line that causes it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    col: int
    message: str
    severity: Severity = Severity.ERROR

    def text(self, relative_to: Path | None = None) -> str:
        where = f"{_shown(self.path, relative_to)}:{self.line}:{self.col}"
        return f"{where}: {self.severity}: {self.message}"

    def github(self, relative_to: Path | None = None) -> str:
        """A GitHub workflow command (`::error file=…,line=…,col=…::message`)."""
        props = ",".join(
            f"{name}={_escape_property(str(value))}"
            for name, value in (
                ("file", _shown(self.path, relative_to)),
                ("line", self.line),
                ("col", self.col),
            )
        )
        return f"::{self.severity} {props}::{_escape_data(self.message)}"


def _shown(path: Path, relative_to: Path | None) -> str:
    if relative_to is not None:
        try:
            return path.resolve().relative_to(relative_to.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _escape_data(value: str) -> str:
    # As GitHub's own toolkit (actions/toolkit, command.ts) escapes command data.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """` (did you mean 'a', 'b'?)` or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + ", ".join(f"'{c}'" for c in close) + "?)"


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]
