"""A model's first ONNX export, in a child process of QGIS's own Python.

Why: the export (torch's tracer and ONNX passes, 5-25 s) holds Python's GIL for up to seconds at a time, which
freezes QGIS's main thread, and cannot be interrupted; a child process neither blocks QGIS nor outlives a cancel.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from ..common.cancellable import Cancelled, ChildFailed, run_child
from ..packages.interpreter import python_executable

#: the child's last stderr line for an engine error: this mark, then [error class name, message] in JSON
ERROR_MARK = "SEGEARTH_ERROR "
#: one export at a time in the process (a background preload and a question may both find the graphs missing)
_EXPORTING = threading.Lock()
_CHILD = f"""import json, sys
from segearth_engine.api import export_graphs
from segearth_engine.api import SegEarthError
try:
    export_graphs(sys.argv[1], sys.argv[2])
except SegEarthError as exc:
    sys.exit({ERROR_MARK!r} + json.dumps([type(exc).__name__, str(exc)]))
"""


def _child_env() -> dict[str, str]:
    """This process's environment, with its import path (plugin folders, private packages, the engine) passed on."""
    from segearth_engine import api

    paths = [str(Path(api.__file__).resolve().parents[1])]
    paths += [p for p in sys.path if p and os.path.isdir(p) and p not in paths]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _engine_error(failure: ChildFailed) -> Exception:
    """The engine error the child raised, as the same class with the same message, else a generic one."""
    from segearth_engine import api as errors  # the front re-exports every engine error

    last = str(failure)
    if last.startswith(ERROR_MARK):
        name, message = json.loads(last[len(ERROR_MARK):])
        kind = getattr(errors, name, errors.SegEarthError)
        return kind(message) if isinstance(kind, type) and issubclass(kind, errors.SegEarthError) else \
            errors.SegEarthError(message)
    return errors.ModelFilesError(f"the ONNX export failed: {last}")


def export_missing_graphs(model_dir: str, is_cancelled: Callable[[], bool],
                          on_export: Callable[[], None] | None = None) -> bool:
    """Export the model's ONNX graphs in a child process if loading it would export them; True if they were missing
    (exported here, or by the export of another load that this one waited for).
    A cancel kills the child within a fraction of a second and removes what it left (raises Cancelled)."""
    from segearth_engine.api import graphs_to_export

    if graphs_to_export(model_dir) is None:
        return False
    if on_export is not None:
        on_export()  # exporting, or waiting for the export another load (a background preload) is running
    while not _EXPORTING.acquire(timeout=0.05):
        if is_cancelled():
            raise Cancelled()
    try:
        _export_locked(model_dir, is_cancelled)
    finally:
        _EXPORTING.release()
    return True


def _export_locked(model_dir: str, is_cancelled: Callable[[], bool]) -> None:
    from segearth_engine.api import graphs_to_export

    folder = graphs_to_export(model_dir)  # again: the export this one waited for may have made them
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    try:
        run_child([python_executable(), "-c", _CHILD, str(model_dir), str(folder)], is_cancelled, _child_env())
    except Cancelled:
        for path in set(folder.iterdir()) - before:  # the killed export's temporary folder
            if path.is_dir() and path.name.startswith("tmp"):
                shutil.rmtree(path, ignore_errors=True)
        raise
    except ChildFailed as exc:
        raise _engine_error(exc) from exc
