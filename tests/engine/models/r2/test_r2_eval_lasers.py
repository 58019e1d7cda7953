"""`segearth eval` on a LaSeRS-style folder with the tiny R2 model (random masks: counts and wiring, not scores)."""

from __future__ import annotations

import json

import pytest

from tests.engine.evaluation.test_evaluate_lasers import make_lasers_dataset


def test_eval_command_scores_lasers_annotations(tiny_r2_dir, tmp_path, capsys):
    from segearth_engine.cli import main

    data = make_lasers_dataset(tmp_path / "data")
    out = tmp_path / "scores.json"
    assert main(["eval", str(data), "--model", str(tiny_r2_dir), "--split", "test", "--quiet",
                 "--backend", "torch", "--device", "cpu", "--json", str(out)]) == 0  # format detected
    printed = capsys.readouterr().out
    assert "test/single: 1 questions, 1 masks" in printed and "test/multiple: 2 questions, 4 masks" in printed
    assert "test/all: 3 questions, 5 masks" in printed and "mean over 2 subsets" in printed
    scores = json.loads(out.read_text())
    assert scores["format"] == "lasers" and scores["split"] == "test"
    assert {n: (s["questions"], s["masks"]) for n, s in scores["subsets"].items()} == {"multiple": (2, 4),
                                                                                       "single": (1, 1)}
    for part in (*scores["subsets"].values(), scores["all"]):
        assert 0.0 <= part["gIoU"] <= 1.0 and 0.0 <= part["cIoU"] <= 1.0
    # the pooled gIoU is the mask-weighted mean of the subsets'; the subset mean their plain mean
    subsets = scores["subsets"]
    assert scores["all"]["gIoU"] == pytest.approx(
        (subsets["single"]["gIoU"] * 1 + subsets["multiple"]["gIoU"] * 4) / 5)
    assert scores["subset_mean"]["gIoU"] == pytest.approx((subsets["single"]["gIoU"] + subsets["multiple"]["gIoU"]) / 2)


def test_eval_command_rejects_bad_annotations_before_loading_a_model(tmp_path, capsys):
    from segearth_engine.cli import main

    data = make_lasers_dataset(tmp_path / "data")
    (data / "test" / "annotations" / "single.json").write_text(json.dumps(
        [{"id": 1, "image_name": "a.png", "description": "q", "answer": "[SEG] [SEG]", "mask": []}]))
    # the model folder does not exist: the annotation error comes first, so nothing was loaded
    assert main(["eval", str(data), "--model", str(tmp_path / "no-model"), "--split", "test", "--format", "lasers",
                 "--quiet"]) == 2
    assert "2 [SEG] but only 0 masks" in capsys.readouterr().err
