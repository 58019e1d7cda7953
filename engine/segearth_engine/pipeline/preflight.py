"""The cheap checks of a run, done before the model loads: a typo should cost a second, not a minute of loading.

Model folder (manifest sizes and paths, config ranges, tokenizer and question length), raster (georeference),
extent, bands, output grid limits: each raises the same error the full run would raise later.
"""

from __future__ import annotations

from pathlib import Path

from segearth_engine.geo.source import RasterSource
from segearth_engine.pipeline.raster import SegmentationRequest, plan_layout, require_georeference
from segearth_engine.weights.hub import local_model_folder

DEFAULT_CANVAS = 1024  # a hub repo id is checked when it is downloaded; its canvas is the release's


def check_model_folder(folder: Path):
    """Manifest (sizes, confined paths) and config (ranges) of a local folder; returns its config."""
    from segearth_engine.models.families import R2, model_family
    from segearth_engine.models.r1.config import SegEarthConfig
    from segearth_engine.models.r2.config import R2Config
    from segearth_engine.weights.hub import check_manifest

    check_manifest(folder)
    if model_family(folder) == R2:
        return R2Config.from_file(folder / "config.json")
    return SegEarthConfig.from_file(folder / "config.json")


def check_question(folder: Path, cfg, question: str) -> None:
    """Reserved tokens and length, with the folder's own tokenizer (SegEarth-R1 folders; R2 checks at load)."""
    from segearth_engine.models.r1.config import SegEarthConfig
    from segearth_engine.models.r1.prompt import load_tokenizer, refer_ids

    if isinstance(cfg, SegEarthConfig):
        tokenizer = load_tokenizer(folder, cfg.pad_token_id, cfg.seg_token_id)
        refer_ids(tokenizer, question, cfg.seg_token_id)


def preflight(source: RasterSource, request: SegmentationRequest, model: str | Path) -> SegmentationRequest:
    """Every check that needs no model weights; returns the request checked against the model's canvas."""
    folder = local_model_folder(model)
    cfg = check_model_folder(folder) if folder is not None else None
    canvas = int(cfg.image_size) if cfg is not None else DEFAULT_CANVAS
    request = request.checked(canvas)
    require_georeference(source)
    plan_layout(source, request, canvas)
    if folder is not None:
        check_question(folder, cfg, request.question)
    return request
