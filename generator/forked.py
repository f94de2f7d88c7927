"""Work done by a forked copy of the build process while the build goes on.

Pelican renders every page in one process, the build's longest path. Some of its
pages can be written by a copy of the process made with `fork`: it shares every
object the build has made, nothing is pickled or imported again, and it starts in
a millisecond. The plugin starts two: one for the pages that depend on the computed
site alone (outlet profiles, the JSON files), as Pelican starts; one for the
listings, topic pages and feeds, once Pelican has read every story.

The copy runs one function and exits. What went wrong there comes back whole: an
exception is pickled to the build and raised there again (a full disk is the same
`OSError` as in the build), and so is any error the copy logged (Pelican logs some
problems rather than raising them; the build fails on those too). The build stops
the copy when it fails itself (`stop`), so no process outlives it.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable
from contextlib import suppress
from typing import NoReturn

from .files import uninterrupted


class ForkedError(Exception):
    """The forked copy failed without an exception that could come back as it was
    (it was killed, or its exception could not be pickled)."""


class Forked:
    """One function running in a forked copy of this process."""

    def __init__(self, pid: int, results: int) -> None:
        self._pid: int | None = pid
        self._results = results  # the read end of the pipe its outcome comes by

    @classmethod
    def start(cls, work: Callable[[], None], into: list[Forked]) -> Forked | None:
        """`work()` in a forked copy, added to `into` (where whoever stops it on a
        failure finds it) before any signal is handled: Python runs a handler between
        any two steps of the main thread, so Ctrl-C landing (even just before) could
        raise after the fork and leave a copy nobody stops. None where processes
        cannot fork, or this one cannot now (out of memory or processes): the
        caller then runs `work` itself."""
        if not hasattr(os, "fork"):
            return None
        read, write = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is printed twice
            stream.flush()
        with uninterrupted():  # a handler run between fork and `into` would orphan it
            try:
                with warnings.catch_warnings():
                    # Python 3.12+ warns when a process with threads forks: the copy
                    # runs one function of this thread's, never the others' state.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pid = os.fork()
            except OSError:
                os.close(read)
                os.close(write)
                return None
            if pid == 0:
                os.close(read)
                _run_child(work, write)
            os.close(write)
            forked = cls(pid, read)
            into.append(forked)
        return forked

    def wait(self) -> None:
        """Until the copy is done; its exception, or a `ForkedError`, is raised here.
        Interrupted while waiting, it stops the copy first."""
        if self._pid is None:
            return
        try:
            results, self._results = os.fdopen(self._results, "rb"), -1
            with results:
                outcome = results.read()
            _, status = os.waitpid(self._pid, 0)
        except BaseException:
            self.stop()
            raise
        self._pid = None
        if outcome:
            raise _exception(outcome)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited {code}"
            raise ForkedError(f"the forked page writer {how}")

    def stop(self) -> None:
        """End the copy now, if it still runs (the build failed or was interrupted)."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        if self._results >= 0:
            os.close(self._results)
            self._results = -1


def _run_child(work: Callable[[], None], results: int) -> NoReturn:
    """(In the copy.) Run `work`, send back what went wrong, exit without running
    anything the build registered to run at its own exit. (Python clears signals
    noted before the fork: the build's handlers never run here.)"""
    code = 1
    try:
        # Ctrl-C reaches the whole process group: the build stops the copy itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        errors = _ErrorRecords()
        logging.getLogger().addHandler(errors)
        work()
        if errors.messages:
            raise ForkedError("; ".join(errors.messages))
        code = 0
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the build
        _send(results, exc)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):  # exiting anyway
                stream.flush()
        os._exit(code)


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _send(results: int, exc: BaseException) -> None:
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # it must come back whole, or as text
    except Exception:  # noqa: BLE001 - any exception at all can be described
        data = pickle.dumps(ForkedError(f"{type(exc).__name__}: {exc}"))
    view = memoryview(data)
    while view:
        view = view[os.write(results, view):]


def _exception(outcome: bytes) -> BaseException:
    try:
        exc = pickle.loads(outcome)
    except Exception:  # noqa: BLE001 - a torn message is still a failure
        return ForkedError("the forked page writer failed")
    return exc if isinstance(exc, BaseException) else ForkedError(repr(exc))
