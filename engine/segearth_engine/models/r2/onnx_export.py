"""Export of SegEarth-R2's image branches (one graph, two inputs) and its mask decoder (N queries) to ONNX.

Same conventions as R1's export (onnx_export.py, whose helpers are reused): fixed image sizes, opset 17, metadata
with the weights' fingerprint checked on load. The decoder's first axis (one row per [SEG]) is dynamic.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from segearth_engine.models.r1.onnx_export import (
    DECODER_FILE,
    ENCODER_FILE,
    OPSET,
    ExportedGraphs,
    _finalise,
    base_metadata,
    prepare_export,
    quiet_exporter,
)

log = logging.getLogger(__name__)


def export_r2_onnx(model_dir: str | Path, out_dir: str | Path | None = None, overwrite: bool = False) -> ExportedGraphs:

    import torch

    from segearth_engine.models.r2.checkpoint import VISION_PARTS, load_model
    from segearth_engine.models.r2.modeling.model import (
        DECODER_INPUTS,
        ENCODER_INPUTS,
        ENCODER_OUTPUTS,
        MaskDecoderGraph,
        VisionEncoderGraph,
    )

    model_dir = Path(model_dir)
    fingerprint, graphs = prepare_export(model_dir, out_dir, overwrite)
    out = graphs.encoder.parent
    model = load_model(model_dir, torch.float32, parts=VISION_PARTS)
    cfg = model.cfg
    common = {**base_metadata(model_dir, fingerprint, cfg.image_size, cfg.llm.hidden_size),
              "segearth.family": "SegEarth-R2", "segearth.clip_image_size": str(cfg.siglip.image_size)}
    pixels = torch.zeros(1, 3, cfg.image_size, cfg.image_size)
    clip = torch.zeros(1, 3, cfg.siglip.image_size, cfg.siglip.image_size)
    with torch.no_grad():
        features = model.encode(pixels, clip)
    seg_hidden = torch.zeros(2, cfg.llm.hidden_size)
    decoder_args = (seg_hidden, *(features[name] for name in DECODER_INPUTS[1:]))
    with tempfile.TemporaryDirectory(dir=out) as tmp, torch.no_grad(), quiet_exporter():
        tmp_enc, tmp_dec = Path(tmp) / ENCODER_FILE, Path(tmp) / DECODER_FILE
        log.info("exporting the R2 image branches to %s", graphs.encoder)
        torch.onnx.export(VisionEncoderGraph(model), (pixels, clip), str(tmp_enc), input_names=list(ENCODER_INPUTS),
                          output_names=list(ENCODER_OUTPUTS), opset_version=OPSET, dynamo=False)
        log.info("exporting the R2 mask decoder to %s", graphs.decoder)
        torch.onnx.export(MaskDecoderGraph(model), decoder_args, str(tmp_dec), input_names=list(DECODER_INPUTS),
                          output_names=["canvas_logits"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"seg_hidden": {0: "targets"}, "canvas_logits": {1: "targets"}})
        _finalise(tmp_enc, graphs.encoder, {**common, "segearth.graph": "vision_encoder"})
        _finalise(tmp_dec, graphs.decoder, {**common, "segearth.graph": "mask_decoder"})
    return graphs
