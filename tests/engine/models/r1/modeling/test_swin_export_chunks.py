"""Window attention exported in chunks of windows computes what the eager module computes."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import torch

from segearth_engine.models.r1.modeling import swin
from segearth_engine.models.r1.modeling.swin import SwinStage


def test_chunked_export_matches_eager(tmp_path, monkeypatch):
    torch.manual_seed(0)
    stage = SwinStage(dim=16, depth=2, heads=2, window=4, mlp_ratio=2.0, downsample=False).eval()
    x = torch.randn(1, 22, 18, 16)  # padded to 24x20: 30 windows of 16 tokens, the second block shifted
    with torch.no_grad():
        want = stage(x)[0].numpy()

    class Stage(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stage = stage

        def forward(self, tokens):
            return self.stage(tokens)[0]

    # 2 heads x 16 x 16 scores per window: 7 windows per chunk -> chunks of 7, 7, 7, 7, 2
    monkeypatch.setattr(swin, "SCORE_CHUNK_ELEMENTS", 7 * 2 * 16 * 16)
    path = tmp_path / "stage.onnx"
    with torch.no_grad():
        torch.onnx.export(Stage(), (x,), str(path), input_names=["x"], opset_version=17, dynamo=False)
    softmaxes = sum(node.op_type == "Softmax" for node in onnx.load(str(path)).graph.node)
    assert softmaxes == 2 * 5  # two blocks, five chunks each
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-4)
