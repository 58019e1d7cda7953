"""The model on a worker: a WorkerPlugin keyed by the model's hash, loading the Segmenter once per worker process.

Loading is lazy (first task, under a lock) rather than in setup(), so a minutes-long load of the full model runs in a
task thread and never blocks the worker's event loop (heartbeats keep flowing). A restarted worker gets the plugin
again from the scheduler and loads the model once more.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - the engine runs without dask; only cluster runs need it
    WorkerPlugin = object  # type: ignore[assignment,misc]


def model_key(model_dir: str | Path, backend: str = "auto", device: str = "auto", options: dict | None = None) -> str:
    """sha256 of what identifies a loaded model: folder, config, manifest, weight file names/sizes/mtimes, settings."""
    folder = Path(model_dir).expanduser().resolve()
    settings = json.dumps({"backend": backend, "device": device, **(options or {})}, sort_keys=True)
    digest = hashlib.sha256(f"{folder}\0{settings}".encode())
    for name in ("config.json", "segearth_manifest.json"):
        if (folder / name).is_file():
            digest.update((folder / name).read_bytes())
    for path in sorted(folder.glob("*.safetensors*")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def plugin_name(key: str) -> str:
    return f"segearth-model-{key[:16]}"


class ModelPlugin(WorkerPlugin):
    """Holds one Segmenter per worker; `loads` counts loads in this process (1 after any number of tasks).

    `options`: further api.load_segmenter keyword arguments (e.g. llm_precision), part of the key.
    """

    def __init__(self, model_dir: str, backend: str = "auto", device: str = "auto",
                 options: dict | None = None) -> None:
        self.model_dir = str(model_dir)
        self.backend = backend
        self.device = device
        self.options = dict(options or {})
        self.key = model_key(model_dir, backend, device, self.options)
        self.name = plugin_name(self.key)
        self._segmenter = None
        self._lock = None
        self.loads = 0

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(_segmenter=None, _lock=None, loads=0)
        return state

    def setup(self, worker=None) -> None:
        self._lock = threading.Lock()

    def segmenter(self):
        """The worker's model, loaded on first use."""
        if self._lock is None:
            self._lock = threading.Lock()
        with self._lock:
            if self._segmenter is None:
                from segearth_engine.api import load_segmenter

                self._segmenter = load_segmenter(self.model_dir, backend=self.backend, device=self.device,
                                                 **self.options)
                self.loads += 1
            return self._segmenter

    def teardown(self, worker=None) -> None:
        self._segmenter = None
