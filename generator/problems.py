"""Problems found in content, and the two ways editors read them.

Text for terminals (`file:line:col: error: message`, what compilers print and
editors link), GitHub workflow commands for pull requests (an annotation on the
line that causes it).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
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
        return visible(f"{where}: {self.severity}: {self.message}")

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


#: Longest value a message quotes in full; longer ones are cut (a hostile file must
#: not make the error it causes 100,000 characters long).
QUOTE_LIMIT = 80

#: Anything but printable ASCII: `_escaped` decides (letters of any script stay).
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
#: Categories a terminal or log would act on or hide instead of show: controls, format
#: characters (bidi, zero-width), line and paragraph separators, unassigned.
_INVISIBLE = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"))


def quoted(value: str) -> str:
    """`'value'` for a message, cut to `QUOTE_LIMIT` characters with its length said."""
    if len(value) <= QUOTE_LIMIT:
        return f"'{value}'"
    return f"'{value[:QUOTE_LIMIT]}…' ({len(value):,} characters)"


def visible(text: str) -> str:
    """Text with every invisible or line-breaking character written as `\\uXXXX`, so
    that a value echoed in a message cannot start a new line (a forged
    `file:1:1: error:`), drive the terminal, or reorder what is around it."""
    return _NOT_PRINTABLE_ASCII.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in _INVISIBLE:
        return char
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """` (did you mean 'a', 'b'?)` or an empty string when nothing is close (or the
    word is far longer than any name could be: nothing would be, at a high cost)."""
    if len(word) > QUOTE_LIMIT:
        return ""
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + ", ".join(f"'{c}'" for c in close) + "?)"


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]
