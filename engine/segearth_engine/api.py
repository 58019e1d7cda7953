"""The engine's front: every name a caller needs (the QGIS plugin, the CLI, Processing, the Dask runner).

    from segearth_engine import api
    segmenter = api.load_segmenter("path/to/model")          # the family (R1 or R2) is read from the folder
    result = api.segment_raster(source, segmenter, api.SegmentationRequest("Where are the roads?"))
    api.encode_view(source, segmenter, request, cache=cache)  # before the question: its run then skips the encoder

`import segearth_engine.api` is cheap (no numpy-heavy geo stack, no torch/transformers/onnxruntime): each name is
imported from its room on first use, so the plugin can load, inspect a model folder and explain what is missing
before the heavy parts are installed. The rooms behind it (README "Architecture map") are internal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from segearth_engine.errors import (
    Cancelled,
    DiskSpaceError,
    HubError,
    InputError,
    LimitError,
    ModelFilesError,
    OutputError,
    OutputExistsError,
    SegEarthError,
)

if TYPE_CHECKING:  # the names below, for type checkers and for the import-graph test (tests/engine/import_graph.py)
    from segearth_engine.evaluation.question_set import (
        SCORE_FIELDS,
        QuestionRow,
        QuestionSetResult,
        RowOutcome,
        check_columns,
        row_from_record,
        row_region,
        run_question_set,
    )
    from segearth_engine.evaluation.vector_scores import (
        FALSE_ALARM,
        MATCH_IOU,
        MATCHED,
        MISSED,
        VectorScores,
        score_geometries,
    )
    from segearth_engine.geo.affine_math import grid_bounds
    from segearth_engine.geo.gdal_errors import is_disk_full
    from segearth_engine.geo.publish import clean_stale_stages
    from segearth_engine.geo.rasterio_source import RasterioSource
    from segearth_engine.geo.source import RasterSource
    from segearth_engine.geo.writers import (
        SIDECAR_SUFFIX,
        check_output,
        geopackage_layers,
        output_files,
        output_kind,
        write_mask_geotiff,
        write_vector,
    )
    from segearth_engine.models.base import Prediction, Segmenter
    from segearth_engine.models.families import (
        FAMILIES,
        R1,
        R2,
        VIEW_ONLY_MESSAGE,
        check_mode,
        family_of_config,
        is_test_config,
        load_segmenter,
        model_family,
        read_folder_config,
    )
    from segearth_engine.models.first_load import (
        download_model,
        first_load_parts,
        released_first_load,
        resolve_model_dir,
    )
    from segearth_engine.models.prepare import export_graphs, graphs_to_export, import_runtime
    from segearth_engine.models.r1.config import ENGINE_CONFIG_KEY
    from segearth_engine.models.r2.config import is_r2_config
    from segearth_engine.models.r2.prompt import SEG_TOKEN
    from segearth_engine.models.r2.segmenter import folder_max_new_tokens
    from segearth_engine.pipeline.raster import MODES, SegmentationRequest, SegmentationResult
    from segearth_engine.runtime.feature_cache import FeatureCache
    from segearth_engine.runtime.llm_precision import PRECISIONS
    from segearth_engine.types import TASKS, EncodedImage, MaskPrediction, MultiTargetPrediction, TargetMask
    from segearth_engine.weights.hub import RELEASED_MODELS
    from segearth_engine.weights.hub_access import HubAccess
    from segearth_engine.weights.resumable import partial_bytes
    from segearth_engine.weights.transfer_meter import DownloadProgress, human_bytes, human_duration

#: the modules a run imports behind the front: a caller that must explain what is missing (the QGIS plugin) probes
#: them before running (importlib.util.find_spec, nothing imported)
RUN_MODULES = ("segearth_engine.models.r1.segmenter", "segearth_engine.models.r2.segmenter",
               "segearth_engine.pipeline.raster", "segearth_engine.pipeline.targets")

#: name -> the module that defines it (imported on first use)
_WHERE = {
    # loading a model, and what a model folder holds (cheap: config.json only)
    "Segmenter": "models.base", "Prediction": "models.base",
    "load_segmenter": "models.families", "model_family": "models.families", "family_of_config": "models.families",
    "is_test_config": "models.families", "read_folder_config": "models.families", "check_mode": "models.families",
    "VIEW_ONLY_MESSAGE": "models.families",
    "graphs_to_export": "models.prepare", "export_graphs": "models.prepare", "import_runtime": "models.prepare",
    "R1": "models.families", "R2": "models.families", "FAMILIES": "models.families",
    "ENGINE_CONFIG_KEY": "models.r1.config", "is_r2_config": "models.r2.config",
    "SEG_TOKEN": "models.r2.prompt",  # nosec B105 # where the mask token is defined, not a password
    "folder_max_new_tokens": "models.r2.segmenter", "PRECISIONS": "runtime.llm_precision",
    # weights: released models and their download (resumable, progress, cancel; room for the first load checked)
    "RELEASED_MODELS": "weights.hub", "download_model": "models.first_load", "resolve_model_dir": "models.first_load",
    "first_load_parts": "models.first_load", "released_first_load": "models.first_load",
    "HubAccess": "weights.hub_access", "partial_bytes": "weights.resumable",
    "DownloadProgress": "weights.transfer_meter", "human_bytes": "weights.transfer_meter",
    "human_duration": "weights.transfer_meter",
    # a raster run
    "SegmentationRequest": "pipeline.raster", "SegmentationResult": "pipeline.raster", "MODES": "pipeline.raster",
    "TASKS": "types", "EncodedImage": "types", "MaskPrediction": "types", "MultiTargetPrediction": "types",
    "TargetMask": "types", "FeatureCache": "runtime.feature_cache",
    "RasterSource": "geo.source", "RasterioSource": "geo.rasterio_source", "grid_bounds": "geo.affine_math",
    # written files
    "write_vector": "geo.writers", "write_mask_geotiff": "geo.writers", "check_output": "geo.writers",
    "output_kind": "geo.writers", "SIDECAR_SUFFIX": "geo.writers", "geopackage_layers": "geo.writers",
    "output_files": "geo.writers", "clean_stale_stages": "geo.publish", "is_disk_full": "geo.gdal_errors",
    # answers scored against reference polygons, and question sets (evaluation/vector_scores.py, question_set.py)
    "SCORE_FIELDS": "evaluation.question_set",
    "QuestionRow": "evaluation.question_set",
    "QuestionSetResult": "evaluation.question_set",
    "RowOutcome": "evaluation.question_set",
    "check_columns": "evaluation.question_set",
    "row_from_record": "evaluation.question_set",
    "row_region": "evaluation.question_set",
    "run_question_set": "evaluation.question_set",
    "FALSE_ALARM": "evaluation.vector_scores",
    "MATCH_IOU": "evaluation.vector_scores",
    "MATCHED": "evaluation.vector_scores",
    "MISSED": "evaluation.vector_scores",
    "VectorScores": "evaluation.vector_scores",
    "score_geometries": "evaluation.vector_scores",
}

__all__ = ["RUN_MODULES", "Cancelled", "DiskSpaceError", "HubError", "InputError", "LimitError", "ModelFilesError",
           "OutputError",
           "OutputExistsError", "SegEarthError",
           "segment_raster", "encode_view", "Segmenter", "Prediction", "load_segmenter", "model_family",
           "family_of_config", "is_test_config",
           "read_folder_config", "check_mode", "VIEW_ONLY_MESSAGE", "R1", "R2", "FAMILIES", "ENGINE_CONFIG_KEY",
           "is_r2_config", "SEG_TOKEN", "folder_max_new_tokens", "PRECISIONS", "RELEASED_MODELS", "download_model",
           "resolve_model_dir", "SegmentationRequest", "SegmentationResult", "MODES", "TASKS", "EncodedImage",
           "MaskPrediction", "MultiTargetPrediction", "TargetMask", "FeatureCache", "RasterSource", "RasterioSource",
           "grid_bounds", "write_vector", "write_mask_geotiff", "check_output", "output_kind", "SIDECAR_SUFFIX",
           "geopackage_layers", "output_files", "clean_stale_stages", "is_disk_full",
           "graphs_to_export", "export_graphs", "import_runtime", "SCORE_FIELDS", "QuestionRow", "QuestionSetResult",
           "RowOutcome", "check_columns", "row_from_record", "row_region", "run_question_set", "FALSE_ALARM",
           "MATCH_IOU", "MATCHED", "MISSED", "VectorScores", "score_geometries", "first_load_parts",
           "released_first_load", "HubAccess", "partial_bytes", "DownloadProgress", "human_bytes", "human_duration"]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"segearth_engine.{where}"), name)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def segment_raster(source: RasterSource, segmenter: Segmenter, request: SegmentationRequest, progress=None,
                   is_cancelled=None, cache: FeatureCache | None = None, mask_path=None, overwrite: bool = False,
                   batch_size: int | None = None) -> SegmentationResult:
    """Answer `request` on `source` with the segmenter's family: one mask (SegEarth-R1, pipeline/raster.py) or a
    text answer with one layer of polygons per target (SegEarth-R2, pipeline/targets.py, view mode only).

    `progress(fraction, stage)`, `is_cancelled()` (then Cancelled is raised), `cache` (encoder features reused across
    questions), `mask_path` (also write the mask GeoTIFF), `batch_size` (tiles per batch; None: automatic)."""
    if segmenter.multi_target:
        from segearth_engine.pipeline.targets import segment_raster_targets

        return segment_raster_targets(source, segmenter, request, progress, is_cancelled, cache, mask_path, overwrite)
    from segearth_engine.pipeline.raster import segment_raster as segment_single

    return segment_single(source, segmenter, request, progress, is_cancelled, cache, mask_path, overwrite, batch_size)


def encode_view(source: RasterSource, segmenter: Segmenter, request: SegmentationRequest, progress=None,
                is_cancelled=None, *, cache: FeatureCache, batch_size: int | None = None) -> int:
    """Encode into `cache`, before the question is known, what segment_raster(source, segmenter, request,
    cache=cache) will look up (either family; `request.question` may be empty here): that run then skips the encoder.
    Returns the number of tiles this call encoded (0: all were cached, or another caller sharing the cache encoded
    them meanwhile and was waited for). Same checks, limits, `progress`, `is_cancelled` and `batch_size` as
    segment_raster; at most the tiles the cache keeps at once (pipeline/raster.py: encode_view)."""
    from segearth_engine.pipeline.raster import encode_view as encode

    return encode(source, segmenter, request, progress, is_cancelled, cache=cache, batch_size=batch_size)
