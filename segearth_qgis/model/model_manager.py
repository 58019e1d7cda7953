"""Keeps one loaded Segmenter and the engine's FeatureCache alive across runs (the encoder is then skipped)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

# What the model panel must know before the engine is importable (it inspects a folder at plugin load, and says what
# to install): the family names, the family rule and the key marking a tiny random test model. Each is the engine's
# own (segearth_engine.api: R1, R2, is_r2_config, ENGINE_CONFIG_KEY), compared in tests/plugin/test_engine_constants.py.
R1, R2 = "SegEarth-R1", "SegEarth-R2"
TEST_MODEL_KEY = "segearth_engine"  # written into config.json by the tiny-model makers: random weights
# One load at a time in the process, whichever holder asks (a plugin reloaded while its old holder still loads, the
# Processing provider): ONNX export is not thread-safe (torch's exporter has global state), and two full-size loads
# side by side would need twice the memory.
_LOADING = threading.Lock()


@dataclass(frozen=True)
class ModelInfo:
    """What the UI shows about a model folder before and after loading."""

    state: str  # "ok", "test", "missing", "empty"
    message: str
    model_id: str = ""
    revision: str = ""
    family: str = R1

    @property
    def multi_target(self) -> bool:
        """SegEarth-R2 answers in text and returns one mask per [SEG] target; R1 returns one mask."""
        return self.family == R2


def is_r2_config(config: dict) -> bool:
    """segearth_engine.api.is_r2_config, for when the engine is not importable."""
    return "SegEarthR2" in (config.get("architectures") or []) or config.get("model_type") == "mipha_phi"


def model_family(raw: dict) -> str:
    """R1 or R2 from a parsed config.json, by the engine's rule (api.family_of_config) when the engine imports."""
    try:
        from segearth_engine.api import family_of_config
    except ImportError:
        return R2 if is_r2_config(raw) else R1
    return family_of_config(raw)


def inspect_model_dir(path: str) -> ModelInfo:
    """Cheap check of a model folder (no torch): files present, tiny test model or released checkpoint."""
    from ..common.translation import tr

    if not path:
        return ModelInfo("empty", tr("No model folder chosen"))
    folder = Path(path).expanduser()
    if folder.is_file():  # e.g. its config.json picked in a file dialog
        return ModelInfo("missing", tr("{} is a file: choose the model folder, the one holding config.json "
                                       "(here: {})").format(folder, folder.parent))
    if not folder.is_dir():
        return ModelInfo("missing", tr("Folder does not exist: {}").format(folder))
    config = folder / "config.json"
    if not config.is_file():
        return ModelInfo("missing", tr("Missing files: {}").format("config.json"))
    if not any(folder.glob("*.safetensors")):
        return ModelInfo("missing", tr("Missing files: {}").format("*.safetensors"))
    try:
        raw = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ModelInfo("missing", tr("config.json cannot be read: {}").format(exc))
    manifest = {}
    try:
        manifest = json.loads((folder / "segearth_manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if not isinstance(raw, dict):
        return ModelInfo("missing", tr("config.json cannot be read: {}").format(type(raw).__name__))
    model_id = manifest.get("repo_id") or folder.name
    revision = manifest.get("revision", "")
    family = model_family(raw)
    test = TEST_MODEL_KEY in raw  # written by make-tiny-model / the tiny R2 maker: random weights
    if family == R2:
        if test:
            message = tr("SegEarth-R2 test model (random weights): results are meaningless")
        else:
            message = tr("SegEarth-R2 model files present: one question can return several targets")
        return ModelInfo("test" if test else "ok", message, model_id, revision, R2)
    if test:
        return ModelInfo("test", tr("Test model (random weights): results are meaningless"), model_id, revision)
    return ModelInfo("ok", tr("Model files present"), model_id, revision)


class ModelHolder:
    """Loads a Segmenter lazily (in the worker thread) and reuses it while the folder stays the same."""

    def __init__(self, cache_mb: int = 512, low_memory: bool = False) -> None:
        self._segmenter = None
        self._model_dir: str | None = None
        self._cache = None
        self._cache_mb = cache_mb
        self._low_memory = low_memory
        self._generation = 0  # bumped by clear(): a load that started before it is not kept

    @property
    def low_memory(self) -> bool:
        return self._low_memory

    def set_low_memory(self, enabled: bool) -> None:
        """Takes effect at the next load: the loaded model is dropped (cached features stay valid)."""
        if enabled != self._low_memory:
            self._low_memory = enabled
            self._drop_model()

    @property
    def segmenter(self):
        return self._segmenter

    @property
    def device(self) -> str:
        return self._segmenter.device if self._segmenter is not None else ""

    def cache(self):
        """The engine's FeatureCache (created lazily: the engine may be missing at plugin load)."""
        if self._cache is None:
            try:
                from segearth_engine.api import FeatureCache
            except ImportError:
                return None
            self._cache = FeatureCache(max_mb=self._cache_mb)
        return self._cache

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, model_dir: str, preload_of: int | None = None):
        """The Segmenter for `model_dir` (of the folder's family), loading it on first use. Call from a worker
        thread: loading is slow.

        A load is kept only if the holder was not cleared since it was asked for. `preload_of`: the generation a
        background preload was started in; once the holder was cleared after it, nothing is loaded (None)."""
        from segearth_engine.api import load_segmenter

        generation = self._generation if preload_of is None else preload_of
        with _LOADING:
            if preload_of is not None and preload_of != self._generation:
                return None  # superseded (another folder chosen, or the setting changed) while waiting
            segmenter = self._segmenter
            if segmenter is None or self._model_dir != model_dir:
                if self._model_dir != model_dir:
                    self._cache = None  # features of another model must not be reused
                self._segmenter = None
                # SegEarth-R2 has no low-memory mode: it keeps its parts loaded whatever the setting
                low_memory = self._low_memory and not inspect_model_dir(model_dir).multi_target
                segmenter = load_segmenter(model_dir, low_memory=low_memory)
                if generation == self._generation:  # not cleared meanwhile: kept for the next run
                    self._segmenter, self._model_dir = segmenter, model_dir
            return segmenter

    def loaded(self, model_dir: str) -> bool:
        """True when the Segmenter for `model_dir` is loaded (get() would return it at once)."""
        return self._segmenter is not None and self._model_dir == model_dir

    def _drop_model(self) -> None:
        """Never waits for a load in progress (the GUI thread calls this): that load's model is then not kept."""
        self._generation += 1
        self._segmenter = None
        self._model_dir = None

    def clear(self) -> None:
        """Drop the model and its features."""
        self._drop_model()
        self._cache = None
