"""The tiny R2 model end to end: real generate(), two [SEG] -> two queries, ONNX vs PyTorch, the pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.api import SegmentationRequest, segment_raster
from segearth_engine.errors import InputError
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.types import MultiTargetPrediction
from tests.conftest import DATA

QUESTION = "the runway and the taxiways"


@pytest.fixture(scope="module")
def image():
    return (np.random.default_rng(0).random((300, 400, 3)) * 255).astype(np.uint8)


def test_generation_emits_two_seg_tokens_and_their_hidden_states(r2_torch, image):
    encoded = r2_torch.encode(image)
    generation = r2_torch.generate(encoded, QUESTION)
    assert generation.token_ids.count(r2_torch.seg_id) == 2
    assert generation.seg_hidden.shape == (2, r2_torch.cfg.llm.hidden_size)
    # Each [SEG] row is the final-norm hidden state where [SEG] was fed in: recompute it with one plain forward.
    from segearth_engine.models.r2.prompt import assemble, tokenize_prompt

    llm = r2_torch.model.llm
    with torch.no_grad():
        prompt = assemble(tokenize_prompt(r2_torch.tokenizer, QUESTION),
                          lambda ids: llm.model.embed_tokens(torch.tensor(ids)),
                          torch.from_numpy(encoded.tensors["visual_tokens"][0]))
        answer = llm.model.embed_tokens(torch.tensor(generation.token_ids))[None]
        hidden = llm.model(inputs_embeds=torch.cat([prompt, answer], 1)).last_hidden_state[0]
    rows = [prompt.shape[1] + k for k, t in enumerate(generation.token_ids) if t == r2_torch.seg_id]
    torch.testing.assert_close(generation.seg_hidden, hidden[rows], rtol=1e-4, atol=1e-4)


def test_answer_has_two_targets_with_their_phrases(r2_torch, image):
    prediction = r2_torch.segment(r2_torch.encode(image), QUESTION)
    assert isinstance(prediction, MultiTargetPrediction)
    assert prediction.answer.count("[SEG]") == 2 and "runway" in prediction.answer
    assert [t.phrase for t in prediction.targets] == ["runway", "taxiways"]
    for target in prediction.targets:
        assert target.logits.shape == (300, 400) and target.mask.shape == (300, 400)


def test_onnx_matches_pytorch(r2_torch, r2_onnx, image):
    from segearth_engine.models.r2.segmenter import R2Segmenter

    assert isinstance(r2_onnx, R2Segmenter) and r2_onnx.backend == "onnx"
    ref, got = r2_torch.encode(image), r2_onnx.encode(image)
    for name, tensor in ref.tensors.items():
        np.testing.assert_allclose(got.tensors[name], tensor, rtol=1e-3, atol=1e-3, err_msg=name)
    hidden = torch.randn(3, r2_torch.cfg.llm.hidden_size)  # the decoder graph takes any number of queries
    canvas_ref, canvas_onnx = r2_torch.decode(ref, hidden), r2_onnx.decode(ref, hidden)
    assert canvas_onnx.shape == (3, 1024, 1024)
    np.testing.assert_allclose(canvas_onnx, canvas_ref, rtol=1e-3, atol=1e-3)
    one = r2_onnx.decode(ref, hidden[1:2])
    np.testing.assert_allclose(one[0], canvas_onnx[1], rtol=1e-4, atol=1e-4)  # queries do not interact
    a, b = r2_torch.segment(ref, QUESTION), r2_onnx.segment(got, QUESTION)
    assert a.answer == b.answer and [t.phrase for t in a.targets] == [t.phrase for t in b.targets]


def test_pipeline_writes_one_feature_set_per_target(r2_onnx, tmp_path):
    import fiona

    from segearth_engine.geo.writers import write_vector

    with RasterioSource(DATA / "rgbn.tif") as src:
        result = segment_raster(src, r2_onnx, SegmentationRequest(QUESTION))
    assert result.answer.count("[SEG]") == 2 and result.targets == ["runway", "taxiways"]
    by_target = {attrs["target"]: attrs["target_idx"] for _, attrs in result.features}
    assert by_target == {"runway": 0, "taxiways": 1}
    assert set(np.unique(result.mask)) <= {0, 1, 2, 255}
    for index in (0, 1):
        pixels = sum(a["pixels"] for _, a in result.features if a["target_idx"] == index)
        assert pixels > 0
    path = write_vector(tmp_path / "targets.shp", result.features, result.crs_wkt)
    with fiona.open(path) as layer:
        written = {(f["properties"]["target"], f["properties"]["target_idx"]) for f in layer}
    assert written == {("runway", 0), ("taxiways", 1)}
    with RasterioSource(DATA / "rgbn.tif") as src, pytest.raises(InputError, match="view mode"):
        segment_raster(src, r2_onnx, SegmentationRequest(QUESTION, mode="tiled"))


def test_generation_budget_comes_from_the_folder(tiny_r2_dir, tmp_path):
    import json
    import shutil

    from segearth_engine.errors import ModelFilesError
    from segearth_engine.models.r2.generation import DEFAULT_MAX_NEW_TOKENS
    from segearth_engine.models.r2.segmenter import folder_max_new_tokens

    folder = tmp_path / "copy"
    shutil.copytree(tiny_r2_dir, folder)
    config = folder / "generation_config.json"
    assert folder_max_new_tokens(folder) == json.loads(config.read_text())["max_new_tokens"]
    config.write_text(json.dumps({"eos_token_id": 50256}))
    assert folder_max_new_tokens(folder) == DEFAULT_MAX_NEW_TOKENS
    config.write_text(json.dumps({"max_new_tokens": 0}))
    with pytest.raises(ModelFilesError, match="max_new_tokens"):
        folder_max_new_tokens(folder)
    config.write_text("{not json")
    with pytest.raises(ModelFilesError, match="not valid JSON"):
        folder_max_new_tokens(folder)
