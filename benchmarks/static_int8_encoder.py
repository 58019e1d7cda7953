"""Experiment (not part of `make bench`): calibrated static int8 (QDQ) of the Swin MatMuls in the exported encoder.

`python -m benchmarks.static_int8_encoder MODEL_DIR` quantises the weight MatMuls of the vision tower only (per-channel
int8 weights, uint8 activations calibrated with MinMax on a few images; LayerNorm, Softmax, GELU and everything
outside Swin stay fp32), then compares against the fp32 graph on held-out images: encoder time, and the mask IoU of
the whole question (same LLM, same decoder) against fp32. The engine ships it only if the IoU is >= 0.98 at full size.
Measured so far: tiny model, IoU 0.87 (missed) and no speed-up; at full size ONNX Runtime's MinMax calibration (every
quantised MatMul's input kept for each image) was killed out of memory at 22 GB on a 24 GB machine, so not shipped.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

IOU_BOUND = 0.98


def _images(count: int, seed: int) -> list[np.ndarray]:
    """Structured RGB images (flat patches of colour on noise), so activations are not pure noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        image = rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8)
        for _ in range(6):
            y, x = rng.integers(0, 600), rng.integers(0, 900)
            image[y:y + rng.integers(40, 300), x:x + rng.integers(40, 400)] = rng.integers(0, 256, 3)
        out.append(image)
    return out


def quantise(fp32_graph: Path, out: Path, image_size: int, calibration: list[np.ndarray]) -> Path:
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from segearth_engine.models.r1.preprocess import prepare_image

    model = onnx.load(str(fp32_graph), load_external_data=False)
    swin = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name.startswith("/vision_tower/")]
    del model

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.feeds = iter([{"pixel_values": prepare_image(im, image_size)[0]} for im in calibration])

        def get_next(self):
            return next(self.feeds, None)

    quantize_static(str(fp32_graph), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_quantize=swin,
                    op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
    return out


def main(model_dir: Path) -> None:
    from segearth_engine.models.r1.onnx_export import ENCODER_FILE
    from segearth_engine.models.r1.segmenter import Segmenter
    from segearth_engine.runtime.onnx_runtime import create_session

    seg = Segmenter.from_pretrained(model_dir, backend="onnx", device="cpu")
    fp32_graph = seg._graph_dir / ENCODER_FILE
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        q_graph = quantise(fp32_graph, Path(tmp) / "encoder_int8.onnx", seg.image_size, _images(4, seed=1))
        print(f"quantised {fp32_graph.name} in {time.perf_counter() - start:.0f} s "
              f"({q_graph.stat().st_size / 1e6:.0f} MB against {fp32_graph.stat().st_size / 1e6:.0f} MB)")
        fp32_session, decoder = seg.sessions
        int8_session = create_session(q_graph, "cpu")
        questions = [("Where could a small plane land?", "reasoning"), ("the yellow field", "referring")]
        for index, image in enumerate(_images(3, seed=2)):
            masks, times = [], []
            for session in (fp32_session, int8_session):
                seg.sessions = (session, decoder)
                start = time.perf_counter()
                encoded = seg.encode(image)
                times.append(time.perf_counter() - start)
                masks.append([seg.segment(encoded, q, t).mask for q, t in questions])
            for (question, _), a, b in zip(questions, *masks, strict=True):
                union = np.logical_or(a, b).sum()
                iou = 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)
                verdict = "met" if iou >= IOU_BOUND else "MISSED"
                print(f"image {index}: encoder fp32 {times[0]:.2f} s, static int8 {times[1]:.2f} s "
                      f"(x{times[1] / times[0]:.2f}); {question!r}: mask IoU {iou:.4f} ({verdict} {IOU_BOUND})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
