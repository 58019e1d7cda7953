"""The ONNX graphs compute what our PyTorch modules compute, and refuse to run against other weights."""

import shutil

import numpy as np
import onnx
import pytest

from segearth_engine.errors import InputError, ModelFilesError
from segearth_engine.models.r1.onnx_export import DECODER_FILE, ENCODER_FILE, IR_VERSION
from segearth_engine.models.r1.segmenter import Segmenter


@pytest.fixture(scope="module")
def scene():
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (300, 420, 3), dtype=np.uint8)
    image[100:200, 150:300] = (200, 180, 40)  # a structured patch, so features are not pure noise
    return image


def iou(a, b):
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else np.logical_and(a, b).sum() / union


def test_encoder_outputs_match(tiny_onnx_segmenter, tiny_torch_segmenter, scene):
    onnx_features = tiny_onnx_segmenter.encode(scene).tensors
    torch_features = tiny_torch_segmenter.encode(scene).tensors
    for name, ref in torch_features.items():
        diff = np.abs(onnx_features[name] - ref).max()
        assert diff <= 1e-4 * max(1.0, np.abs(ref).max()), f"{name}: max abs diff {diff}"


@pytest.mark.parametrize("task", ["reasoning", "referring"])
def test_masks_match(tiny_onnx_segmenter, tiny_torch_segmenter, scene, task):
    question = "Where could a small plane land near the yellow field?"
    a = tiny_onnx_segmenter.segment(tiny_onnx_segmenter.encode(scene), question, task)
    b = tiny_torch_segmenter.segment(tiny_torch_segmenter.encode(scene), question, task)
    assert a.logits.shape == a.mask.shape == scene.shape[:2]
    diff = np.abs(a.logits - b.logits).max()
    assert diff < 1e-3, f"max abs logit diff {diff}"
    assert iou(a.mask, b.mask) == 1.0
    assert 0 < a.mask.mean() < 1, "the tiny model should give a non-trivial mask on this input"


def test_questions_change_the_mask_and_reuse_the_encoding(tiny_onnx_segmenter, scene):
    encoded = tiny_onnx_segmenter.encode(scene)
    calls = tiny_onnx_segmenter.encoder_calls
    first = tiny_onnx_segmenter.segment(encoded, "the runway")
    second = tiny_onnx_segmenter.segment(encoded, "all storage tanks next to the pier")
    assert tiny_onnx_segmenter.encoder_calls == calls
    assert np.abs(first.logits - second.logits).max() > 1e-3


def test_empty_question_is_refused(tiny_onnx_segmenter, scene):
    encoded = tiny_onnx_segmenter.encode(scene)
    with pytest.raises(InputError):
        tiny_onnx_segmenter.segment(encoded, "   ")
    with pytest.raises(InputError):
        tiny_onnx_segmenter.segment(encoded, "a question", task="counting")


@pytest.mark.parametrize("bad", [np.zeros((20, 30, 4), np.uint8), np.zeros((20, 30), np.uint8),
                                 np.zeros((20, 30, 3), np.float32), np.zeros((0, 30, 3), np.uint8)],
                         ids=["rgba", "grey", "float", "empty"])
def test_non_rgb_image_is_refused(tiny_onnx_segmenter, bad):
    calls = tiny_onnx_segmenter.encoder_calls
    with pytest.raises(InputError):
        tiny_onnx_segmenter.encode(bad)
    assert tiny_onnx_segmenter.encoder_calls == calls


def test_corrupt_graph_is_refused(tiny_model_dir, tmp_path, tiny_onnx_segmenter):
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    for name in (ENCODER_FILE, DECODER_FILE):
        shutil.copy(tiny_model_dir / "onnx" / name, graphs / name)
    data = (graphs / DECODER_FILE).read_bytes()
    (graphs / DECODER_FILE).write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelFilesError, match=DECODER_FILE):
        Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cpu", export_dir=graphs)


def test_graphs_carry_metadata_and_a_supported_ir_version(tiny_onnx_segmenter):
    for session in tiny_onnx_segmenter.sessions:
        proto = onnx.load(str(session.path), load_external_data=False)
        assert proto.ir_version == IR_VERSION
        meta = session.metadata
        assert meta["segearth.image_size"] == "1024" and len(meta["segearth.weights_sha256"]) == 64
    assert tiny_onnx_segmenter.device.startswith("CPU (ONNX Runtime CPUExecutionProvider")


def test_graphs_from_other_weights_are_refused(tiny_model_dir, tmp_path, tiny_onnx_segmenter):
    from segearth_engine.tiny_models.r1 import make_tiny_model

    other = make_tiny_model(tmp_path / "other", seed=5)
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    for name in (ENCODER_FILE, DECODER_FILE):
        shutil.copy(tiny_model_dir / "onnx" / name, graphs / name)
    with pytest.raises(ModelFilesError, match="other weights"):
        Segmenter.from_pretrained(other, backend="onnx", device="cpu", export_dir=graphs)


def test_cuda_provider_when_present(tiny_model_dir, scene):
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("no CUDA GPU / onnxruntime-gpu on this machine (CI never has one)")
    gpu = Segmenter.from_pretrained(tiny_model_dir, backend="onnx", device="cuda")
    cpu = Segmenter.from_pretrained(tiny_model_dir, backend="torch", device="cpu")
    assert gpu.device.startswith("CUDA")
    a = gpu.segment(gpu.encode(scene), "the runway")
    b = cpu.segment(cpu.encode(scene), "the runway")
    assert np.abs(a.logits - b.logits).max() < 1e-2 and iou(a.mask, b.mask) > 0.99
