"""`forked.Forked`: a function run by a forked copy of the process, whose failures
come back to the build whole, and which never outlives it."""

from __future__ import annotations

import errno
import logging
import os
import signal
import time
from pathlib import Path

import pytest

from generator.forked import Forked, ForkedError


def _started(work: object) -> Forked:
    into: list[Forked] = []
    forked = Forked.start(work, into)  # type: ignore[arg-type]
    assert forked is not None, "this platform forks"
    assert into == [forked]  # where the build finds it to stop it
    return forked


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_work_runs_in_another_process_while_this_one_goes_on(tmp_path: Path) -> None:
    mark = tmp_path / "pid"
    forked = _started(lambda: mark.write_text(str(os.getpid())))
    forked.wait()
    assert int(mark.read_text()) != os.getpid()
    forked.wait()  # a second wait is a no-op


def test_an_exception_in_the_copy_is_raised_here_as_it_was(tmp_path: Path) -> None:
    """A full disk in the copy is the same OSError the build reports for its own."""

    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.html"))

    with pytest.raises(OSError) as raised:
        _started(full).wait()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(tmp_path / "x.html")


def test_an_exception_that_cannot_travel_comes_back_as_text() -> None:
    class Local(Exception):  # defined in a function: pickle cannot find it again
        pass

    def fail() -> None:
        raise Local("the outlet template broke")

    with pytest.raises(ForkedError, match="Local: the outlet template broke"):
        _started(fail).wait()


def test_an_error_the_copy_only_logged_fails_too() -> None:
    """Pelican logs some problems instead of raising them; the build fails on those."""
    with pytest.raises(ForkedError, match="a template said so"):
        _started(lambda: logging.getLogger("pelican.writers").error("a template said so")).wait()


def test_a_copy_that_dies_is_a_failure() -> None:
    with pytest.raises(ForkedError, match="killed by SIGKILL"):
        _started(lambda: os.kill(os.getpid(), signal.SIGKILL)).wait()


def test_stop_ends_a_copy_still_at_work_and_leaves_no_process(tmp_path: Path) -> None:
    mark = tmp_path / "pid"

    def long() -> None:
        mark.write_text(str(os.getpid()))
        time.sleep(60)

    forked = _started(long)
    for _ in range(500):
        if mark.exists() and mark.read_text():
            break
        time.sleep(0.01)
    pid = int(mark.read_text())
    started = time.monotonic()
    forked.stop()
    assert time.monotonic() - started < 5
    assert _gone(pid)  # ended and reaped: not even a zombie
    forked.stop()
    forked.wait()  # nothing left to wait for


def test_ctrl_c_is_left_to_the_build(tmp_path: Path) -> None:
    """SIGINT reaches the whole process group; the copy ignores it and the build
    stops the copy itself."""
    mark = tmp_path / "done"

    def interrupted() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        mark.write_text("went on")

    _started(interrupted).wait()
    assert mark.read_text() == "went on"


def test_no_fork_no_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where processes cannot fork, or this one cannot now, the caller does the
    work itself; no pipe is left open."""
    into: list[Forked] = []
    before = len(os.listdir("/proc/self/fd"))

    def no_memory() -> int:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_memory)
    assert Forked.start(lambda: None, into) is None
    assert len(os.listdir("/proc/self/fd")) == before
    monkeypatch.delattr(os, "fork")
    assert Forked.start(lambda: None, into) is None
    assert into == []


def test_a_signal_as_the_copy_starts_waits_until_it_is_registered() -> None:
    """Ctrl-C landing during `start` is handled once the copy is in the list the
    build stops copies from, never in between."""
    seen: list[int] = []

    def interrupted(signum: int, frame: object) -> None:
        seen.append(len(into))
        raise KeyboardInterrupt

    def long() -> None:
        time.sleep(60)

    into: list[Forked] = []
    previous = signal.signal(signal.SIGINT, interrupted)
    real_fork = os.fork

    def fork_then_interrupt() -> int:
        pid = real_fork()
        if pid:
            os.kill(os.getpid(), signal.SIGINT)  # arrives "between" fork and registering
        return pid

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fork", fork_then_interrupt)
            with pytest.raises(KeyboardInterrupt):
                Forked.start(long, into)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [1] and len(into) == 1
    pid = into[0]._pid
    into[0].stop()
    assert pid is not None and _gone(pid)
