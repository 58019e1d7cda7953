"""Progress of a download as a user wants to read it: bytes done of the total, rate, time left, and what is
happening (checking what was fetched before, downloading, waiting before a retry, verifying)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

#: stages a DownloadProgress can report
STAGES = ("connecting", "checking", "downloading", "waiting", "verifying", "done")
RATE_WINDOW_S = 5.0  # the rate is taken over the last few seconds: it follows a change of speed quickly
REPORT_EVERY_S = 0.25  # at most this often, except when the stage or the file changes


@dataclass(frozen=True)
class DownloadProgress:
    stage: str
    done_bytes: int
    total_bytes: int
    rate_bps: float = 0.0  # bytes per second over the last few seconds; 0 while unknown
    eta_s: float | None = None  # None while unknown
    file: str = ""
    note: str = ""  # e.g. why it waits ("the hub asked to wait 5 s")

    @property
    def fraction(self) -> float:
        return min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes else 0.0


class TransferMeter:
    """Counts bytes against a total and reports DownloadProgress through `report`, throttled."""

    def __init__(self, total_bytes: int, report: Callable[[DownloadProgress], None] | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total_bytes
        self.done = 0
        self.stage = "connecting"
        self.file = ""
        self.note = ""
        self._report, self._clock = report, clock
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report = float("-inf")

    def set(self, stage: str, file: str | None = None, note: str = "") -> None:
        changed = stage != self.stage or (file is not None and file != self.file) or note != self.note
        if stage != self.stage:
            self._samples.clear()  # the rate is the transfer's: not the hashing of kept bytes, nor a pause
        self.stage, self.note = stage, note
        if file is not None:
            self.file = file
        self.emit(force=changed)

    def add(self, count: int) -> None:
        self.done += count
        now = self._clock()
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()
        self.emit()

    def rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def snapshot(self) -> DownloadProgress:
        rate = self.rate() if self.stage == "downloading" else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        return DownloadProgress(self.stage, self.done, self.total, rate, eta, self.file, self.note)

    def emit(self, force: bool = False) -> None:
        now = self._clock()
        if self._report is not None and (force or now - self._last_report >= REPORT_EVERY_S):
            self._last_report = now
            self._report(self.snapshot())


def human_bytes(count: float) -> str:
    """1234567 -> '1.2 MB' (decimal units, as disks and the hub count them)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def human_duration(seconds: float) -> str:
    """95 -> '1 min 35 s'."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def describe(progress: DownloadProgress) -> str:
    """One line for a terminal or a status label: '1.2 GB of 3.2 GB · 25.0 MB/s · 1 min 20 s left'."""
    text = f"{human_bytes(progress.done_bytes)} of {human_bytes(progress.total_bytes)}"
    if progress.stage == "downloading" and progress.rate_bps > 0:
        text += f" · {human_bytes(progress.rate_bps)}/s"
        if progress.eta_s is not None:
            text += f" · {human_duration(progress.eta_s)} left"
    elif progress.stage != "downloading":
        text += f" · {progress.stage}"
    return text + (f" ({progress.note})" if progress.note else "")
