"""fp16 variants of the exported fp32 graphs, for the CUDA provider (tensor cores, half the memory traffic).

Why these choices:
- inputs and outputs stay fp32, so the fp16 graphs are drop-in replacements (same feeds, same cache entries, and an
  encoder's outputs feed either decoder);
- ops whose accuracy depends on accumulating or exponentiating many values run in fp32 islands (`FP32_OPS`):
  normalisations (mean/variance), softmax, reductions, the deformable-attention sampling (GridSample: bilinear
  weights of sampling positions in a 1024-px frame), GELU's erf and the sine position encodings, and by name
  (`FP32_NODES`) the arithmetic of the sampling positions themselves. Other MatMul/Conv/Einsum stay fp16: the CUDA
  kernels accumulate them in fp32. Full-size random weights, ONNX Runtime CPU: mask IoU 0.980 vs fp32 with the op
  list alone, 0.986 with the positions in fp32 too;
- weights used only by fp32 islands (LayerNorm scales and biases) keep fp32; fp32 constants beyond fp16's range are
  clipped to +-65504 (Swin's -100 window mask and the decoder's masked-attention fill are within range or saturate
  harmlessly before the fp32 softmax);
- a Cast to fp16 followed directly by a Cast back to fp32 (two islands in a row) is removed, so consecutive fp32 ops
  are not rounded through fp16 between them.
The conversion itself is ONNX Runtime's `onnxruntime.transformers.float16`; this module chooses what stays fp32,
repairs the node order (the converter appends its casts at the end, and ONNX requires a topological order), keeps the
graph's metadata and writes the result atomically.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from segearth_engine.errors import ModelFilesError

log = logging.getLogger(__name__)

# Op types that run in fp32 inside the fp16 graph.
FP32_OPS = frozenset({
    "LayerNormalization", "InstanceNormalization", "GroupNormalization", "BatchNormalization",
    "Softmax", "LogSoftmax",
    "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp",
    "ReduceSumSquare", "CumSum",
    "GridSample", "Erf", "Exp", "Log", "Pow", "Sqrt", "Sin", "Cos", "Floor", "Range",
})
# Nodes that run in fp32 by name: the deformable attention's sampling positions in the pixel decoder (offsets from
# a linear layer, normalised and added to reference points in [0, 1], then mapped to [-1, 1] for GridSample). In fp16
# a position has ~11 bits, 1/20 of a pixel at the finest level, and every sample moves by that much.
FP32_NODES = re.compile(r"^/pixel_decoder/.*/self_attn/(sampling_offsets/.*|(Div|Add|Mul|Sub)(_\d+)?)$")
PRECISION_KEY = "segearth.precision"
FP32_OPS_KEY = "segearth.fp32_ops"


def _topological_sort(graph) -> None:
    """Reorder graph.node so every node comes after the producers of its inputs (stable for already-sorted parts)."""
    available = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    producers: dict[str, int] = {}
    for index, node in enumerate(graph.node):
        for name in node.output:
            producers[name] = index
    waiting = {i: [n for n in node.input if n not in available and n in producers]
               for i, node in enumerate(graph.node)}
    consumers: dict[str, list[int]] = {}
    for index, names in waiting.items():
        for name in names:
            consumers.setdefault(name, []).append(index)
    pending = {i: len(set(names)) for i, names in waiting.items()}
    ready = sorted(i for i, count in pending.items() if count == 0)
    order: list[int] = []
    import heapq

    heapq.heapify(ready)
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for name in graph.node[index].output:
            for consumer in set(consumers.get(name, ())):
                pending[consumer] -= 1
                if pending[consumer] == 0:
                    heapq.heappush(ready, consumer)
    if len(order) != len(graph.node):
        raise ModelFilesError("the fp16 graph has a cycle or an undefined input; it cannot be ordered")
    nodes = [graph.node[i] for i in order]
    copies = [type(n)() for n in nodes]
    for copy, node in zip(copies, nodes, strict=True):
        copy.CopyFrom(node)
    del graph.node[:]
    graph.node.extend(copies)


def _drop_round_trips(graph) -> int:
    """Remove Cast(fp32->fp16) -> Cast(fp16->fp32) pairs the converter put between two fp32 islands."""
    import onnx

    producer = {name: node for node in graph.node for name in node.output}
    outputs = {o.name for o in graph.output}
    rename: dict[str, str] = {}
    for node in graph.node:
        if node.op_type != "Cast" or node.output[0] in outputs:
            continue
        to = next(a.i for a in node.attribute if a.name == "to")
        source = producer.get(node.input[0])
        if to != onnx.TensorProto.FLOAT or source is None or source.op_type != "Cast":
            continue
        # Only the converter's own casts are known to read fp32: after a fp32 island, or after a graph input.
        if source.name.endswith("_cast_to_fp16_node") or source.name.startswith("graph_input_cast"):
            rename[node.output[0]] = source.input[0]
    if not rename:
        return 0
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    used = {name for node in graph.node for name in node.input} | outputs
    keep = [n for n in graph.node if n.op_type != "Cast" or any(o in used for o in n.output)]
    while len(keep) != len(graph.node):  # dropping a cast can leave its producer cast unused in turn
        kept = [type(n)() for n in keep]
        for copy, node in zip(kept, keep, strict=True):
            copy.CopyFrom(node)
        del graph.node[:]
        graph.node.extend(kept)
        used = {name for node in graph.node for name in node.input} | outputs
        keep = [n for n in graph.node if n.op_type != "Cast" or any(o in used for o in n.output)]
    produced = {name for node in graph.node for name in node.output}
    stale = [v for v in graph.value_info if v.name not in produced]
    for value in stale:
        graph.value_info.remove(value)
    return len(rename)


def convert_model(model):
    """The fp16 ModelProto of a fp32 ModelProto (inputs/outputs fp32, `FP32_OPS` in fp32); metadata kept."""
    import onnx
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    metadata = [(p.key, p.value) for p in model.metadata_props]
    if dict(metadata).get(PRECISION_KEY, "fp32") != "fp32":
        raise ModelFilesError(f"the source graph is already {dict(metadata)[PRECISION_KEY]}, not fp32")
    ir_version, opsets = model.ir_version, [(o.domain, o.version) for o in model.opset_import]
    blocked = sorted(set(DEFAULT_OP_BLOCK_LIST) | FP32_OPS)
    nodes = [n.name for n in model.graph.node if FP32_NODES.match(n.name)]
    half = convert_float_to_float16(model, keep_io_types=True, op_block_list=blocked, node_block_list=nodes)
    _drop_round_trips(half.graph)
    _topological_sort(half.graph)
    half.ir_version = ir_version
    del half.opset_import[:]
    for domain, version in opsets:
        half.opset_import.add(domain=domain, version=version)
    del half.metadata_props[:]
    for key, value in [*metadata, (PRECISION_KEY, "fp16"), (FP32_OPS_KEY, ",".join(sorted(FP32_OPS)))]:
        entry = half.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(half)
    return half


def derive_fp16(src: Path, dst: Path) -> None:
    """Read the fp32 graph `src` (from onnx_export) and write its fp16 variant to `dst` atomically."""
    import onnx

    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise ModelFilesError(f"{src} is missing; export the model first")
    try:
        model = onnx.load(str(src))
    except Exception as exc:  # noqa: BLE001 - onnx raises DecodeError and others for a damaged file
        raise ModelFilesError(f"{src} could not be read as an ONNX graph: {exc}") from None
    half = convert_model(model)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")  # same folder: the rename is atomic; default permissions
    try:
        onnx.save(half, str(tmp))
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def fp16_variant(src: Path) -> Path:
    """The fp16 graph beside the fp32 graph `src`, derived now when missing or older than `src` (re-exported)."""
    src = Path(src)
    dst = src.with_name(f"{src.stem}.fp16{src.suffix}")
    if not dst.is_file() or dst.stat().st_mtime_ns < src.stat().st_mtime_ns:
        log.info("deriving the fp16 graph %s for CUDA (once)", dst)
        derive_fp16(src, dst)
    return dst
