"""Export of the question-independent encoder and the mask decoder to ONNX (the LLM stays in transformers).

Each graph records what the runtime must agree with (input size, normalisation, versions, and a fingerprint of the
source weights) in its metadata; `onnx_runtime` checks it on load, so a graph never runs against other weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from segearth_engine import __version__
from segearth_engine.errors import ModelFilesError, OutputExistsError, StaleGraphError
from segearth_engine.weights.digest_cache import weights_fingerprint, weights_stamp

log = logging.getLogger(__name__)
T = TypeVar("T")

OPSET = 17
# Bumped whenever the exported graphs change in a way users should get without asking (a graph of another format is
# exported again when the engine manages its folder). 2: chunked Swin window attention (lower peak memory).
GRAPH_FORMAT = "2"
IR_VERSION = 10  # onnx 1.23 writes IR 14 by default, which onnxruntime-gpu 1.31 rejects
ENCODER_FILE = "vision_encoder.onnx"
DECODER_FILE = "mask_decoder.onnx"
VISION_PARTS = ("vision_tower", "mm_projector", "pixel_decoder", "predictor", "description")


@dataclass(frozen=True)
class ExportedGraphs:
    encoder: Path
    decoder: Path


def graphs_folder(model_dir: Path, export_dir: str | Path | None = None) -> tuple[Path, bool]:
    """Where `model_dir`'s graphs are (or go), and whether they must be exported first. Without `export_dir`: beside
    the model when both graphs are there, else the folder keyed to the weights' fingerprint."""
    folder = Path(export_dir) if export_dir else default_export_dir(model_dir, "")
    if (folder / ENCODER_FILE).is_file() and (folder / DECODER_FILE).is_file():
        return folder, False
    if not export_dir:
        folder = default_export_dir(model_dir, weights_fingerprint(model_dir))
    return folder, not (folder / ENCODER_FILE).is_file()


def default_export_dir(model_dir: Path, fingerprint: str) -> Path:
    """Beside the model when that folder is writable, else in the user's cache."""
    if os.access(model_dir, os.W_OK):
        return model_dir / "onnx"
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "segearth" / "onnx"
    return cache / fingerprint[:16]


def _share_constants(graph, min_bytes: int = 1 << 16) -> int:
    """Keep one copy of each large Constant and make it an initializer; returns the bytes saved.

    Why: the TorchScript exporter writes a tensor constant once per consumer, so the Swin stage's shifted-window
    mask, used by every other block, was stored once per shifted block (9 times in stage 3 of Swin-B).
    """
    import onnx

    if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for n in graph.node for a in n.attribute):
        return 0  # names may be used inside subgraphs: leave such graphs alone
    kept: dict[tuple, str] = {}
    rename: dict[str, str] = {}
    saved = 0
    outputs = {o.name for o in graph.output}
    dropped = []
    for index, node in enumerate(graph.node):
        if node.op_type != "Constant" or len(node.attribute) != 1 or node.attribute[0].name != "value":
            continue
        tensor = node.attribute[0].t
        data = tensor.raw_data or onnx.numpy_helper.to_array(tensor).tobytes()
        if len(data) < min_bytes or node.output[0] in outputs:
            continue
        key = (tensor.data_type, tuple(tensor.dims), hashlib.sha256(data).digest())
        dropped.append(index)
        if key in kept:
            rename[node.output[0]] = kept[key]
            saved += len(data)
            continue
        kept[key] = node.output[0]
        graph.initializer.append(tensor)
        graph.initializer[-1].name = node.output[0]
    for index in reversed(dropped):
        del graph.node[index]
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    return saved


@contextmanager
def quiet_exporter() -> Iterator[None]:
    """Silence the exporter's two known, harmless notices so they never reach QGIS's message log.

    Swin's patch merging slices with step 2, which the exporter cannot constant-fold, and torch >= 2.9 marks the
    TorchScript exporter (dynamo=False) as deprecated; we keep it: its graphs are the ones our tests check against
    torch's outputs.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export",
                                category=DeprecationWarning)
        yield


def _finalise(path_tmp: Path, path: Path, metadata: dict[str, str]) -> None:
    import onnx

    proto = onnx.load(str(path_tmp))
    saved = _share_constants(proto.graph)
    if saved:
        log.info("%s: %.1f MB of repeated constants stored once", path.name, saved / 1e6)
    proto.ir_version = IR_VERSION
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path_tmp))
    os.replace(path_tmp, path)


def prepare_export(model_dir: Path, out_dir: str | Path | None, overwrite: bool) -> tuple[str, ExportedGraphs]:
    """The weights' fingerprint and the two graph paths, refusing to replace graphs unless asked."""
    fingerprint = weights_fingerprint(model_dir)
    out = Path(out_dir) if out_dir else default_export_dir(model_dir, fingerprint)
    graphs = ExportedGraphs(out / ENCODER_FILE, out / DECODER_FILE)
    if not overwrite and (graphs.encoder.exists() or graphs.decoder.exists()):
        raise OutputExistsError(f"{out} already holds ONNX graphs; pass --overwrite to replace them")
    out.mkdir(parents=True, exist_ok=True)
    return fingerprint, graphs


def base_metadata(model_dir: Path, fingerprint: str, image_size: int, llm_hidden: int) -> dict[str, str]:
    """What every exported graph records, so the runtime can refuse graphs of other weights or engines."""
    import torch

    return {
        "segearth.engine_version": __version__,
        "segearth.torch_version": torch.__version__,
        "segearth.opset": str(OPSET),
        "segearth.graph_format": GRAPH_FORMAT,
        "segearth.image_size": str(image_size),
        "segearth.weights_sha256": fingerprint,
        "segearth.weights_stamp": json.dumps(weights_stamp(model_dir)),
        "segearth.llm_hidden": str(llm_hidden),
    }


def export_onnx(model_dir: str | Path, out_dir: str | Path | None = None, overwrite: bool = False) -> ExportedGraphs:
    """Write vision_encoder.onnx and mask_decoder.onnx for the model folder; returns their paths."""
    import torch

    from segearth_engine.models.r1.loading import load_model
    from segearth_engine.models.r1.modeling.segearth_r1 import (
        DECODER_INPUTS,
        ENCODER_OUTPUTS,
        MaskDecoderGraph,
        VisionEncoderGraph,
    )
    from segearth_engine.models.r1.preprocess import PIXEL_MEAN, PIXEL_STD

    model_dir = Path(model_dir)
    fingerprint, graphs = prepare_export(model_dir, out_dir, overwrite)
    out = graphs.encoder.parent
    model = load_model(model_dir, torch.float32, parts=VISION_PARTS)
    cfg = model.cfg
    common = {**base_metadata(model_dir, fingerprint, cfg.image_size, cfg.llm.hidden_size),
              "segearth.pixel_mean": json.dumps(PIXEL_MEAN.tolist()),
              "segearth.pixel_std": json.dumps(PIXEL_STD.tolist())}
    pixels = torch.zeros(1, 3, cfg.image_size, cfg.image_size)
    # no_grad, not inference_mode: inference tensors cannot be fed to the tracer.
    with torch.no_grad():
        features = model.encode(pixels)
    pooled = torch.zeros(1, cfg.llm.hidden_size)
    decoder_args = (pooled, *(features[name] for name in DECODER_INPUTS[1:]))
    with tempfile.TemporaryDirectory(dir=out) as tmp, torch.no_grad(), quiet_exporter():
        tmp_enc, tmp_dec = Path(tmp) / ENCODER_FILE, Path(tmp) / DECODER_FILE
        log.info("exporting the vision encoder to %s", graphs.encoder)
        torch.onnx.export(VisionEncoderGraph(model), (pixels,), str(tmp_enc), input_names=["pixel_values"],
                          output_names=list(ENCODER_OUTPUTS), opset_version=OPSET, dynamo=False)
        log.info("exporting the mask decoder to %s", graphs.decoder)
        torch.onnx.export(MaskDecoderGraph(model), decoder_args, str(tmp_dec), input_names=list(DECODER_INPUTS),
                          output_names=["canvas_logits"], opset_version=OPSET, dynamo=False)
        _finalise(tmp_enc, graphs.encoder, {**common, "segearth.graph": "vision_encoder"})
        _finalise(tmp_dec, graphs.decoder, {**common, "segearth.graph": "mask_decoder"})
    return graphs


def check_graph_metadata(metadata: dict[str, str], model_dir: Path, graph: str) -> None:
    """Refuse a graph exported from other weights or by an incompatible engine."""
    if metadata.get("segearth.graph") != graph:
        raise ModelFilesError(f"{graph} graph is missing or mislabelled ({metadata.get('segearth.graph')!r}); "
                              "export the model again")
    found = metadata.get("segearth.graph_format", "1")
    if found != GRAPH_FORMAT:
        raise StaleGraphError(f"the {graph} graph has format {found}, this engine writes format {GRAPH_FORMAT}; "
                              "export the model again (segearth export --overwrite)")
    stamp = json.loads(metadata.get("segearth.weights_stamp", "{}"))
    if stamp != weights_stamp(model_dir) and metadata.get("segearth.weights_sha256") != weights_fingerprint(model_dir):
        raise ModelFilesError(f"the {graph} graph was exported from other weights than those in {model_dir}; "
                              "export the model again")


def open_or_reexport(open_graphs: Callable[[], T], export: Callable[[], object], managed: bool) -> T:
    """`open_graphs()`, exporting again first when the graphs are of an older format and the engine manages their
    folder (a folder the user named is left alone: the StaleGraphError says what to do)."""
    try:
        return open_graphs()
    except StaleGraphError as exc:
        if not managed:
            raise
        log.info("%s: exporting them again (once)", exc)
        export()
        return open_graphs()
