"""fp16 variants of the exported graphs: structure on any machine, fidelity on ONNX Runtime's CPU provider (which
runs them by casting unsupported fp16 nodes to fp32) and, with a GPU, on the CUDA provider they are made for."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from segearth_engine.errors import ModelFilesError
from segearth_engine.models.r1.onnx_export import DECODER_FILE, ENCODER_FILE
from segearth_engine.models.r1.preprocess import prepare_image
from segearth_engine.runtime.fp16_graphs import FP32_NODES, FP32_OPS, PRECISION_KEY, derive_fp16

from .cuda import needs_cuda

FLOAT, HALF = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16
NAMES = ("res5", "ms0", "ms1", "ms2", "mask_features")


@pytest.fixture(scope="module")
def graphs(tiny_onnx_segmenter, tmp_path_factory):
    """(fp32 encoder, fp32 decoder, fp16 encoder, fp16 decoder) paths for the tiny model."""
    src = tiny_onnx_segmenter._graph_dir
    out = tmp_path_factory.mktemp("fp16")
    derive_fp16(src / ENCODER_FILE, out / "vision_encoder.fp16.onnx")
    derive_fp16(src / DECODER_FILE, out / "mask_decoder.fp16.onnx")
    return src / ENCODER_FILE, src / DECODER_FILE, out / "vision_encoder.fp16.onnx", out / "mask_decoder.fp16.onnx"


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (500, 640, 3), dtype=np.uint8)
    image[100:300, 150:450] = (200, 180, 40)
    image[350:450, 50:600] = (30, 80, 170)
    return image


def _types(model) -> dict[str, int]:
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in
             (*inferred.graph.input, *inferred.graph.output, *inferred.graph.value_info)}
    types.update({t.name: t.data_type for t in inferred.graph.initializer})
    return types


@pytest.mark.parametrize("index", [0, 1], ids=["encoder", "decoder"])
def test_fp16_graph_structure(graphs, index):
    source, half_path = onnx.load(str(graphs[index])), onnx.load(str(graphs[index + 2]))
    onnx.checker.check_model(half_path)
    # Inputs and outputs keep their fp32 names, shapes and types: a drop-in replacement.
    for a, b in ((source.graph.input, half_path.graph.input), (source.graph.output, half_path.graph.output)):
        assert [(v.name, v.type.tensor_type.elem_type) for v in a] == [(v.name, FLOAT) for v in b]
    # Metadata of the fp32 graph is kept (the runtime checks it), and the precision is recorded.
    meta = {p.key: p.value for p in half_path.metadata_props}
    assert {p.key: p.value for p in source.metadata_props}.items() <= meta.items()
    assert meta[PRECISION_KEY] == "fp16"
    assert half_path.ir_version == source.ir_version
    types = _types(half_path)
    weights = {t.name for t in half_path.graph.initializer}
    products = [n for n in half_path.graph.node if n.op_type in ("MatMul", "Conv", "Gemm")]
    matmul_weights = [i for n in products if not FP32_NODES.match(n.name) for i in n.input if i in weights]
    assert matmul_weights and all(types[w] == HALF for w in matmul_weights)
    positions = [i for n in products if FP32_NODES.match(n.name) for i in n.input if i in weights]
    assert all(types[w] == FLOAT for w in positions)
    assert bool(positions) == (index == 0)  # the deformable sampling offsets live in the encoder
    islands = [n for n in half_path.graph.node if n.op_type in FP32_OPS]
    assert {"LayerNormalization", "Softmax"} <= {n.op_type for n in islands}
    for node in islands:  # fp32 in and out: float inputs are fp32 (casts inserted), outputs too
        float_inputs = [types.get(i) for i in node.input if i and types.get(i) in (FLOAT, HALF)]
        assert all(t == FLOAT for t in float_inputs), f"{node.op_type} {node.name} reads fp16"
    size_ratio = graphs[index + 2].stat().st_size / graphs[index].stat().st_size
    assert size_ratio < 0.65, f"fp16 graph is {size_ratio:.2f} of the fp32 size"


def test_no_fp16_round_trip_between_islands(graphs):
    model = onnx.load(str(graphs[2]))
    producer = {o: n for n in model.graph.node for o in n.output}
    for node in model.graph.node:
        if node.op_type == "Cast" and node.attribute[0].i == FLOAT:
            before = producer.get(node.input[0])
            assert not (before is not None and before.op_type == "Cast" and before.name.endswith("_cast_to_fp16_node"))


def test_derive_refuses_missing_damaged_or_fp16_sources(graphs, tmp_path):
    with pytest.raises(ModelFilesError, match="missing"):
        derive_fp16(tmp_path / "none.onnx", tmp_path / "out.onnx")
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(graphs[1].read_bytes()[:1000])
    with pytest.raises(ModelFilesError):
        derive_fp16(damaged, tmp_path / "out.onnx")
    with pytest.raises(ModelFilesError, match="already fp16"):
        derive_fp16(graphs[3], tmp_path / "out.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.onnx"]  # nothing half-written left behind


def _run_pair(encoder_path, decoder_path, pixels, pooled, providers):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    encoder = ort.InferenceSession(str(encoder_path), options, providers=providers)
    decoder = ort.InferenceSession(str(decoder_path), options, providers=providers)
    names = [o.name for o in encoder.get_outputs()]
    features = dict(zip(names, encoder.run(None, {"pixel_values": pixels}), strict=True))
    canvas = decoder.run(None, {"pooled": pooled, **{n: features[n] for n in NAMES}})[0]
    return features, canvas


def _fidelity(graphs, scene, providers):
    pixels, _ = prepare_image(scene, 1024)
    pooled = np.random.default_rng(0).standard_normal((1, 64)).astype(np.float32)
    ref_features, ref = _run_pair(graphs[0], graphs[1], pixels, pooled, ["CPUExecutionProvider"])
    features, half = _run_pair(graphs[2], graphs[3], pixels, pooled, providers)
    for name, value in ref_features.items():
        assert features[name].dtype == np.float32
        rel = np.abs(features[name] - value).max() / max(1.0, np.abs(value).max())
        assert rel < 0.05, f"{name}: relative max diff {rel}"
    a, b = ref[0, 0] > 0, half[0, 0] > 0
    union = np.logical_or(a, b).sum()
    iou = 1.0 if union == 0 else np.logical_and(a, b).sum() / union
    assert 0.05 < a.mean() < 0.95, "the tiny model should give a non-trivial mask on this input"
    return iou


def test_fp16_graphs_keep_the_mask_on_the_cpu_provider(graphs, scene):
    assert _fidelity(graphs, scene, ["CPUExecutionProvider"]) >= 0.98


@needs_cuda
def test_fp16_graphs_keep_the_mask_on_cuda(graphs, scene):
    assert _fidelity(graphs, scene, ["CUDAExecutionProvider"]) >= 0.98
