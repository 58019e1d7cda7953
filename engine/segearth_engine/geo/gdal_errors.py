"""GDAL/OGR write errors as exceptions: raised (never only logged), never printed, a full disk named as such.

Why: rasterio and fiona only *log* most GDAL errors, so a full disk gives a truncated file and no exception. Worse,
some of fiona's Cython callbacks report an error they cannot raise (GDALFlushCache after a failed GeoPackage commit)
through `sys.excepthook` and `sys.unraisablehook`: a traceback on the CLI's stderr, and inside QGIS (whose excepthook
opens its "Python error" dialog) a modal dialog that blocks the desktop. While a block runs in `gdal_errors`, those
hooks are diverted, for the writing thread only, into the error the block raises.

A full disk is recognised from errno (ENOSPC, EDQUOT), GDAL's text for it ("No space left on device", SQLite's
"database or disk is full") or the space left when the write failed; the OutputError then says so first and carries
`disk_full`, so that a caller can say it in its own words (the QGIS plugin adds the space free once the stage is gone).
"""

from __future__ import annotations

import errno
import logging
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from segearth_engine.errors import OutputError

GDAL_LOGGERS = ("rasterio._env", "rasterio._err", "rasterio._io", "fiona._env", "fiona._err", "fiona.ogrext")
_GDAL_ERROR_MARK = "GDAL signalled an error"
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_FULL_MARKS = ("no space left", "disk is full", "disk full", "quota exceeded")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR or _GDAL_ERROR_MARK in message:
            self.messages.append(message)


# -- sys.excepthook / sys.unraisablehook diverted per thread ----------------------------------------------------------
_lock = threading.Lock()
_diverted: dict[int, list[str]] = {}  # thread id -> where that thread's reports go
_saved: dict[str, object] = {}  # the hooks in place before the first diversion


def _text_of(value: object) -> str:
    args = getattr(value, "args", ())
    if args and isinstance(args[0], bytes):  # fiona's CPLE_* errors carry GDAL's message as bytes
        return args[0].decode("utf-8", "replace")
    return str(value)


def _excepthook(kind, value, tb) -> None:
    sink = _diverted.get(threading.get_ident())
    if sink is None:
        _saved["excepthook"](kind, value, tb)  # type: ignore[operator]
    else:
        sink.append(_text_of(value))


def _unraisablehook(unraisable) -> None:
    sink = _diverted.get(threading.get_ident())
    if sink is None:
        _saved["unraisablehook"](unraisable)  # type: ignore[operator]
    else:
        sink.append(_text_of(unraisable.exc_value))


@contextmanager
def diverted_reports(sink: list[str]) -> Iterator[None]:
    """Within the block, what this thread reports through sys.excepthook or sys.unraisablehook goes to `sink`;
    other threads keep the hooks they had."""
    ident = threading.get_ident()
    with _lock:
        if not _diverted:
            _saved.update(excepthook=sys.excepthook, unraisablehook=sys.unraisablehook)
            sys.excepthook, sys.unraisablehook = _excepthook, _unraisablehook
        _diverted[ident] = sink
    try:
        yield
    finally:
        with _lock:
            _diverted.pop(ident, None)
            if not _diverted:
                if sys.excepthook is _excepthook:  # not replaced meanwhile by someone else
                    sys.excepthook = _saved["excepthook"]  # type: ignore[assignment]
                if sys.unraisablehook is _unraisablehook:
                    sys.unraisablehook = _saved["unraisablehook"]  # type: ignore[assignment]


# -- the error raised -------------------------------------------------------------------------------------------------
#: at the moment of a failed write, less free space than this is taken as its cause: GDAL's buffered writers (GeoJSON)
#: lose the ENOSPC and only the read-back fails, with the staged file still filling the disk
NEARLY_FULL_BYTES = 1 << 20


def is_disk_full(texts: list[str], exc: BaseException | None = None, folder: Path | str | None = None) -> bool:
    """True when an OSError in `exc`'s chain has a full-disk errno, one of the texts says the disk is full, or
    `folder`'s disk has (nearly) nothing left."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    if any(mark in text.lower() for text in texts for mark in DISK_FULL_MARKS):
        return True
    free = free_bytes(folder)
    return free is not None and free < NEARLY_FULL_BYTES


def free_bytes(folder: Path | str | None) -> int | None:
    """Free space where `folder` (or its nearest existing parent) lives; None when it cannot be measured."""
    if folder is None:
        return None
    path = Path(folder)
    while not path.exists() and path.parent != path:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def output_error(what: str, texts: list[str], exc: BaseException | None = None, folder: Path | str | None = None,
                 action: str = "write") -> OutputError:
    """OutputError for a failed write of `what` into `folder`: a full disk first, else GDAL's first error."""
    texts = [t for t in texts if t and t.strip()]
    if is_disk_full(texts, exc, folder):
        cause = next((t for t in texts if any(m in t.lower() for m in DISK_FULL_MARKS)), "")
        detail = f" ({first_line(cause)})" if cause else ""
        return OutputError(f"could not {action} {what}: the disk is full{detail}", disk_full=True)
    return OutputError(f"could not {action} {what}: {first_line(texts[0]) if texts else 'unknown GDAL error'}")


@contextmanager
def gdal_errors(what: str, folder: Path | str | None = None) -> Iterator[None]:
    """Raise OutputError when GDAL/OGR signalled an error inside the block (rasterio and fiona only log them); what
    fiona reports through sys.excepthook or sys.unraisablehook meanwhile is part of that error, never printed.
    `folder`: where the output goes (its free space is given when the disk is full)."""
    collector = _Collector()
    loggers = [logging.getLogger(name) for name in GDAL_LOGGERS]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:  # collected and raised, so not also printed by the root logger
        lg.addHandler(collector)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    try:
        with diverted_reports(collector.messages):
            yield
    except OSError as exc:
        raise output_error(what, [exc.strerror or str(exc), *collector.messages], exc, folder) from exc
    except OutputError as exc:
        if not exc.disk_full and is_disk_full(collector.messages, None, folder):
            raise output_error(what, [str(exc), *collector.messages], exc, folder) from exc
        raise
    except Exception as exc:
        from_gdal = type(exc).__module__.split(".")[0] in ("fiona", "rasterio", "pyogrio", "osgeo")
        if from_gdal or (isinstance(exc, RuntimeError) and ("GDAL" in str(exc) or collector.messages)):
            raise output_error(what, [_text_of(exc), *collector.messages], exc, folder) from exc
        raise
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(collector)
            lg.setLevel(level)
            lg.propagate = propagate
    if collector.messages:
        raise output_error(what, collector.messages, None, folder)


def first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown GDAL error"
    if "msg='" in line:
        line = line.split("msg='", 1)[1].rstrip("'")
    return line if len(line) <= limit else line[: limit - 1] + "…"
