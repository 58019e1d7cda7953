"""The engine's heavy imports (torch, transformers, onnxruntime) in a worker thread without stalling QGIS's main
thread, which needs Python's GIL to run any Python at all.

Two things hold the GIL for long during these imports:
- dlopen(): Python's import calls it with the GIL held, and the first dlopen of libtorch (hundreds of MB, thousands
  of static initialisers) takes 0.5-1 s. A dlopen() called through ctypes releases the GIL (`preload`), and the
  import then finds the libraries loaded. Best effort: on Windows the import still does that work.
- the cyclic garbage collector: the imports create ~350,000 objects, and every full collection scans them all with
  the GIL held (40-170 ms each on a 2-core machine, growing as they pile up). It is paused during the imports and
  their objects are frozen after (gc.freeze: modules, classes and functions live as long as QGIS), so that later
  collections only scan what is new (`import_engine`).
"""

from __future__ import annotations

import gc
import importlib.util
import os
import sys
import threading
from pathlib import Path

#: package -> files (globs under the package folder) that `import package` loads, in the order it loads them
LIBRARIES = {
    "torch": ("lib/libtorch_global_deps.*", "_C.cpython-*"),
    "onnxruntime": ("capi/onnxruntime_pybind11_state.cpython-*",),
    "tokenizers": ("tokenizers.cpython-*", "tokenizers.abi3.*"),
    "safetensors": ("_safetensors_rust.cpython-*", "_safetensors_rust.abi3.*"),
}
_lock = threading.Lock()
_done: set[str] = set()


def _dlopen():
    """libc's dlopen as a ctypes function (ctypes releases the GIL around foreign calls), or None."""
    if os.name != "posix":
        return None
    import ctypes

    try:
        function = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return function


def preload(packages=tuple(LIBRARIES)) -> list[str]:
    """dlopen the native libraries of `packages` that are installed and not imported yet; returns the files loaded.
    Call from a worker thread, before importing the engine."""
    with _lock:
        wanted = [name for name in packages if name not in _done and name not in sys.modules]
        dlopen = _dlopen() if wanted else None
        loaded = []
        for name in wanted:
            _done.add(name)
            spec = importlib.util.find_spec(name) if dlopen else None
            if spec is None or not spec.submodule_search_locations:
                continue
            root = Path(next(iter(spec.submodule_search_locations)))
            for pattern in LIBRARIES[name]:
                for path in sorted(root.glob(pattern)):
                    # torch makes its global deps global itself; extension modules load as Python loads them
                    flags = os.RTLD_LAZY | os.RTLD_GLOBAL if "global_deps" in path.name else sys.getdlopenflags()
                    if dlopen(str(path).encode(), flags):
                        loaded.append(str(path))
        return loaded


def import_engine():
    """The engine's front (segearth_engine.api), imported as described above; EngineUnavailable says what to install.
    Call from a worker thread."""
    from .dependencies import load_engine

    first = "torch" not in sys.modules
    preload()
    paused = gc.isenabled()
    gc.disable()
    try:
        api = load_engine()
        from segearth_engine.api import import_runtime

        import_runtime()
    finally:
        if paused:
            gc.enable()
    if first:  # once: a later freeze would also freeze loaded models, whose cycles would then never be freed
        gc.freeze()
    return api
