"""The plugin's one way to run the engine, shared by the dock's QgsTask and the Processing algorithm: load (or reuse)
the model, call the engine's front (segearth_engine.api) and turn every failure into a message. Worker thread: no
widgets, no project, no layers here."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from ..common.translation import tr
from ..model.model_loader import load_segmenter
from ..model.model_manager import ModelHolder, ModelInfo
from .request import PluginRequest

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """The engine's SegmentationResult, or the message of what went wrong, or cancelled."""

    result: object | None = None
    error: str | None = None
    cancelled: bool = False
    device: str = ""  # where the model ran (changes when a run moves from the GPU to the CPU)
    model_id: str = ""


def mode_refusal(info: ModelInfo, mode: str) -> str | None:
    """Why `mode` is refused for the model's family, in the UI language, or None. The rule is the engine's
    (api.check_mode: SegEarth-R2 answers in view mode only); without an importable engine there is no rule to apply
    yet, and the run itself then says what to install."""
    try:
        from segearth_engine.api import InputError, check_mode
    except ImportError:
        return None
    try:
        check_mode(info.family, mode)
    except InputError:
        return tr("SegEarth-R2 models answer in single view mode only")
    return None


def run_engine(request: PluginRequest, source, holder: ModelHolder, progress: Callable[[float, str], None],
               is_cancelled: Callable[[], bool], on_loaded: Callable[[object], None] | None = None) -> RunOutcome:
    """One question on `source` (a RasterSource) with the holder's model for `request.model_dir`. The heavy imports
    and a first ONNX export happen here too, in ways that keep QGIS's main thread responsive
    (packages/heavy_imports.py) and that a cancel ends at once (model/graph_export.py: the export runs in a child
    process)."""
    from ..common.cancellable import Cancelled as Abandoned
    from ..packages.dependencies import EngineUnavailable
    from ..packages.heavy_imports import import_engine

    outcome = RunOutcome()
    progress(0.0, "loading model")
    try:
        api = import_engine()
    except EngineUnavailable as exc:
        outcome.error = str(exc)
        return outcome

    def exporting() -> None:
        progress(0.0, "exporting")
        exported.append(True)

    exported: list[bool] = []
    try:
        segmenter = load_segmenter(holder, request.model_dir, is_cancelled, exporting)
        if exported:
            progress(0.0, "loading model")
        outcome.device, outcome.model_id = segmenter.device, segmenter.model_id
        if on_loaded is not None:
            on_loaded(segmenter)
        if is_cancelled():
            raise api.Cancelled()
        outcome.result = api.segment_raster(source, segmenter, request.to_engine(api), progress=progress,
                                            is_cancelled=is_cancelled, cache=holder.cache())
        outcome.device = outcome.result.device or outcome.device
    except (api.Cancelled, Abandoned):  # the engine's, or the export child's
        outcome.cancelled = True
    except api.LimitError as exc:  # the engine names CLI flags; the dock has a Resolution field
        from ..common.fault_messages import too_large

        outcome.error = too_large(exc)
    except api.SegEarthError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - every failure must reach the user, not kill QGIS
        log.error("SegEarth run failed:\n%s", traceback.format_exc())
        outcome.error = f"{type(exc).__name__}: {exc}"
    return outcome
