"""Cancel honoured within a fraction of a second at every stage, including those the engine cannot interrupt.

A QgsTask can only stop where its code asks `isCanceled()`. The engine asks between tiles, but a model load, an
ONNX export or one long encoder run cannot be interrupted from inside. So the task thread does not run the engine
itself: it waits for a helper thread (`run_cancellable`) and gives up as soon as a cancel is asked, and the ONNX
export runs in a child process (`run_child`) that a cancel kills. An abandoned helper finishes its current step
and stops at the engine's next check, without touching the task again; the next engine run waits for it.
"""

from __future__ import annotations

import os
import subprocess  # nosec B404 # the ONNX export child; no shell, argv lists only
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
#: how often a waiting thread looks at the cancel flag (s)
POLL_S = 0.05
#: niceness of the engine's helper thread and child processes: under load, QGIS's GUI thread gets the CPU first
BACKGROUND_NICE = 10
#: one engine run at a time: a run abandoned on cancel ends before the next one starts
_engine = threading.Lock()


class Cancelled(Exception):
    """The user cancelled; raised in the task thread (the engine's own Cancelled is a subclass of its error base)."""


class Job:
    """What the helper thread sees of the task: its cancel flag and progress, cut off once the task gave up."""

    def __init__(self, is_cancelled: Callable[[], bool], progress: Callable[..., None] | None = None) -> None:
        self._is_cancelled = is_cancelled
        self._progress = progress
        self._lock = threading.Lock()
        self._given_up = False
        self.done = threading.Event()
        self.value = None
        self.exception: BaseException | None = None

    def cancelled(self) -> bool:
        with self._lock:
            return self._given_up or bool(self._is_cancelled())

    def progress(self, *args) -> None:
        """Forwarded to the task while it waits; dropped after (the task object may already be deleted)."""
        with self._lock:
            if not self._given_up and self._progress is not None:
                self._progress(*args)

    def give_up(self) -> None:
        with self._lock:  # no progress call is running into the task once this returns
            self._given_up = True

    def run(self, work: Callable[[Job], T]) -> None:
        lower_priority()
        try:
            with _engine:
                if not self.cancelled():
                    self.value = work(self)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting task thread
            self.exception = exc
        finally:
            self.done.set()


def lower_priority(pid: int = 0) -> None:
    """Lower the CPU priority of a child process, or of this thread (Linux; pid 0), and so of the threads and
    processes it starts: ONNX Runtime's and torch's thread pools spin on every core while they wait for work, and
    would otherwise keep QGIS's GUI thread off the CPU (measured: 200-260 ms stalls during encoding on 2 cores)."""
    if pid == 0 and not sys.platform.startswith("linux"):
        return  # elsewhere the call would lower the whole of QGIS
    pid = pid or threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, pid, max(BACKGROUND_NICE, os.getpriority(os.PRIO_PROCESS, pid)))
    except (OSError, AttributeError):  # Windows has no setpriority
        pass


def run_cancellable(work: Callable[[Job], T], is_cancelled: Callable[[], bool],
                    progress: Callable[..., None] | None = None, poll: float = POLL_S) -> T:
    """`work(job)` in a helper thread; its value or exception, or Cancelled within `poll` s of `is_cancelled()`.
    `work` must ask `job.cancelled()` (not the task) and report through `job.progress`."""
    job = Job(is_cancelled, progress)
    threading.Thread(target=job.run, args=(work,), name="SegEarth engine", daemon=True).start()
    while not job.done.wait(poll):
        if is_cancelled():
            job.give_up()
            raise Cancelled()
    if job.exception is not None:
        raise job.exception
    if job.cancelled() and job.value is None:
        raise Cancelled()
    return job.value


def run_child(argv: Sequence[str], is_cancelled: Callable[[], bool], env: dict[str, str] | None = None,
              poll: float = POLL_S) -> str:
    """Run a child process to its end and return its stderr; kill it and raise Cancelled within `poll` s of a
    cancel; raise ChildFailed with the last lines of its stderr when it fails."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing up on Windows
    with open(os.devnull, "rb") as stdin:
        child = subprocess.Popen(list(argv), stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=env, creationflags=flags)  # nosec B603 # argv list, no shell, our own child
    lower_priority(child.pid)
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(child.stderr.read()), daemon=True)
    reader.start()
    try:
        while child.poll() is None:
            if is_cancelled():
                child.kill()
                child.wait()
                raise Cancelled()
            time.sleep(poll)
    finally:
        if child.poll() is None:  # an exception in this thread: never leave the child running
            child.kill()
            child.wait()
        reader.join(5)
        child.stderr.close()  # else a ResourceWarning (unclosed file) lands in QGIS's message log
    text = b"".join(stderr).decode("utf-8", "replace")
    if child.returncode != 0:
        raise ChildFailed(child.returncode, text)
    return text


class ChildFailed(RuntimeError):
    """A child process ended with an error; the message is the end of what it wrote to stderr."""

    def __init__(self, returncode: int, stderr: str) -> None:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        super().__init__(lines[-1] if lines else f"exit status {returncode}")
        self.returncode = returncode
        self.stderr = stderr
