"""The frozen object the dock produces: everything a run needs, decoupled from widgets and threads."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: the engine's tasks and modes (segearth_engine.api.TASKS / MODES), known before the engine is importable: the
#: Processing algorithm's choices and the dock's are built at plugin load (tests/plugin/test_engine_constants.py)
TASKS = ("reasoning", "referring")
MODES = ("view", "tiled")


@dataclass(frozen=True)
class PluginRequest:
    """One question on one raster layer. `extent` is in the layer's CRS; None means the whole layer."""

    layer_id: str
    question: str
    model_dir: str
    task: str = "reasoning"
    mode: str = "view"
    extent: tuple[float, float, float, float] | None = None
    resolution: float | None = None
    bands: tuple[int, ...] | None = None
    overlap: int = 128
    min_area: float = 0.0
    simplify: float = 0.0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, not {self.task!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")

    def with_extent(self, extent: tuple[float, float, float, float] | None) -> PluginRequest:
        return replace(self, extent=extent)

    def to_engine(self, api=None):
        """The engine's SegmentationRequest (segearth_engine.api, imported lazily: it may be missing at plugin load)."""
        if api is None:
            from segearth_engine import api
        return api.SegmentationRequest(
            question=self.question, task=self.task, mode=self.mode, extent=self.extent, extent_crs=None,
            resolution=self.resolution, bands=self.bands, overlap=self.overlap, min_area=self.min_area,
            simplify=self.simplify)


class RequestError(ValueError):
    """The form cannot make a request yet; the message tells the user what to fill in."""
