"""gIoU / cIoU as SegEarth-R1's eval code computes them: hand-computed scores, upstream's label preprocessing,
EarthReason's layout, and `segearth eval` end to end with the tiny model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from segearth_engine.errors import InputError
from segearth_engine.evaluation.earthreason import IoUMeter, earthreason_samples, label_on_canvas, nearest_resize


def test_metric_on_hand_made_samples():
    meter = IoUMeter()
    gt_a, pred_a = np.zeros((4, 4), bool), np.zeros((4, 4), bool)
    gt_a[0, :4] = True  # 4 px
    pred_a[0, 2:4] = pred_a[1, 2:4] = True  # 4 px, 2 of them on the label
    assert meter.add(pred_a, gt_a) == pytest.approx(2 / (6 + 1e-5))  # I = 2, U = 6
    assert meter.add(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0  # empty on empty: U = 0 counts as 1
    pred_c = np.zeros((4, 4), bool)
    pred_c[3, :3] = True
    assert meter.add(pred_c, np.zeros((4, 4))) == 0.0  # I = 0, U = 3
    # gIoU = (0.3333328 + 1 + 0) / 3 = 0.4444443; cIoU = (2 + 0 + 0) / (6 + 0 + 3) = 0.2222222
    assert meter.giou == pytest.approx((2 / (6 + 1e-5) + 1 + 0) / 3, abs=1e-12)
    assert meter.giou == pytest.approx(0.4444443, abs=1e-7)
    assert meter.ciou == pytest.approx(2 / 9, abs=1e-9)
    assert meter.precision_at(0.5) == pytest.approx(1 / 3)  # only the empty/empty sample has IoU > 0.5
    assert meter.summary()["samples"] == 3


@pytest.mark.parametrize("shape", [(300, 700), (1000, 123), (1024, 1024), (77, 77), (5, 2000)])
def test_label_preprocessing_matches_opencv(shape):
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    label = (rng.random(shape) > 0.7).astype(np.uint8) * rng.integers(1, 255)
    canvas, box = label_on_canvas(label, 1024)
    expected = cv2.resize((label != 0).astype(np.uint8), (box.new_width, box.new_height),
                          interpolation=cv2.INTER_NEAREST)
    expected = cv2.copyMakeBorder(expected, box.top, 1024 - box.new_height - box.top, box.left,
                                  1024 - box.new_width - box.left, cv2.BORDER_CONSTANT, value=0)
    np.testing.assert_array_equal(canvas, expected)
    np.testing.assert_array_equal(nearest_resize(label, 50, 40),
                                  cv2.resize(label, (50, 40), interpolation=cv2.INTER_NEAREST))


def _dataset(root, names=("b", "a", "c")):
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(3)
    split = root / "val"
    for sub in ("images", "labels", "QAs"):
        (split / sub).mkdir(parents=True)
    for i, name in enumerate(names):
        cv2.imwrite(str(split / "images" / f"{name}.jpg"), rng.integers(0, 255, (120 + 40 * i, 160, 3), np.uint8))
        label = np.zeros((120 + 40 * i, 160), np.uint8)
        if i:
            label[10:60, 20:90] = 255
        cv2.imwrite(str(split / "labels" / f"{name}.png"), label)
        (split / "QAs" / f"{name}.json").write_text(json.dumps(
            {"questions": [f"question {name}", "ignored"], "answer": []}), encoding="utf-8")
    return root


def test_layout_pairs_by_sorted_position(tmp_path):
    samples = earthreason_samples(_dataset(tmp_path), "val")
    assert [s.image.stem for s in samples] == ["a", "b", "c"]
    assert [s.question for s in samples] == ["question a", "question b", "question c"]
    (tmp_path / "val" / "labels" / "a.png").unlink()
    with pytest.raises(InputError, match="counts must match"):
        earthreason_samples(tmp_path, "val")
    with pytest.raises(InputError, match="no images/"):
        earthreason_samples(tmp_path, "test")


def test_eval_command_end_to_end(tiny_model_dir, tiny_onnx_segmenter, tmp_path, capsys):
    from segearth_engine.cli import main
    from segearth_engine.evaluation.earthreason import (
        IoUMeter,
        canvas_prediction,
        label_on_canvas,
        read_label,
        read_rgb,
    )

    data = _dataset(tmp_path / "data")
    out = tmp_path / "scores.json"
    assert main(["eval", str(data), "--model", str(tiny_model_dir), "--split", "val", "--quiet",
                 "--backend", "onnx", "--device", "cpu", "--llm-precision", "fp32", "--json", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert "gIoU" in capsys.readouterr().out and scores["samples"] == 3
    meter = IoUMeter()  # the same samples scored step by step
    for sample in earthreason_samples(data, "val"):
        label, _ = label_on_canvas(read_label(sample.label), 1024)
        meter.add(canvas_prediction(tiny_onnx_segmenter, read_rgb(sample.image), sample.question), label)
    assert scores["gIoU"] == pytest.approx(meter.giou) and scores["cIoU"] == pytest.approx(meter.ciou)
    assert 0.0 <= scores["cIoU"] <= 1.0


def test_scores_use_the_padded_canvas_like_upstream(tiny_onnx_segmenter):
    """Upstream scores the 1024² canvas, padding included: the prediction there is the model's own canvas decision,
    and the image-size mask is its crop (so a padding false positive is counted, not hidden)."""
    from segearth_engine.evaluation.earthreason import canvas_prediction, mask_on_canvas

    image = np.random.default_rng(3).integers(0, 256, (300, 700, 3), dtype=np.uint8)
    encoded = tiny_onnx_segmenter.encode(image)
    prediction = tiny_onnx_segmenter.segment(encoded, "the bright roofs")
    assert prediction.canvas_logits.shape == (1024, 1024)
    canvas = canvas_prediction(tiny_onnx_segmenter, image, "the bright roofs")
    np.testing.assert_array_equal(canvas, prediction.canvas_logits > 0)
    box = encoded.letterbox
    inside = np.zeros_like(canvas)
    inside[box.top:box.top + box.new_height, box.left:box.left + box.new_width] = True
    rebuilt = mask_on_canvas(prediction.mask, box)
    assert not rebuilt[~inside].any()  # the image-size mask cannot say anything about the padding ...
    assert (canvas[~inside] > 0).any()  # ... where this random model does answer, and upstream would count it
