"""R2 pieces checked against independent computations: decoder, preprocessing, answer parsing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from segearth_engine.errors import InputError
from segearth_engine.models.r1.config import MaskDecoderConfig
from segearth_engine.models.r1.modeling.mask_decoder import MaskedAttentionDecoder
from segearth_engine.models.r2.modeling.decoder import SegQueryDecoder
from segearth_engine.models.r2.preprocess import prepare_clip_image, prepare_mask_image, resize_geometry
from segearth_engine.models.r2.prompt import clean_phrase, split_answer, tokenize_prompt


def test_n_queries_side_by_side_equal_n_single_query_problems():
    """Upstream repeats the pixel features and runs one query per batch element; R1's decoder (full softmax
    self-attention) run once per query is that reference."""
    torch.manual_seed(0)
    cfg = MaskDecoderConfig(hidden_dim=32, nheads=2, dim_feedforward=64, dec_layers=9)
    ours = SegQueryDecoder(cfg, 32).eval()
    with torch.no_grad():
        for p in ours.parameters():
            p.normal_(0, 0.3)
    reference = MaskedAttentionDecoder(cfg, 32).eval()
    missing, unexpected = reference.load_state_dict(ours.state_dict(), strict=False)
    assert unexpected == [] and all(k.startswith("CLASS_proj") for k in missing)
    feats = [torch.randn(1, 32, s, s) for s in (4, 8, 16)]
    mask_features = torch.randn(1, 32, 32, 32)
    queries = torch.randn(3, 32)
    with torch.no_grad():
        together = ours(feats, mask_features, queries)
        alone = [reference(feats, mask_features, q[None, None])[0] for q in queries]
    assert together.shape == (1, 3, 32, 32)
    for i in range(3):
        torch.testing.assert_close(together[0, i], alone[i][0, 0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("height", "width", "expected"), [
    (1024, 1024, (1024, 1024)), (300, 400, (768, 1024)), (801, 1024, (801, 1024)), (2000, 1000, (1024, 512)),
    (333, 1000, (341, 1024)),  # 333 * 1024 / 1000 = 340.99 -> int(x + 0.5) = 341
])
def test_resize_shortest_edge_sizes(height, width, expected):
    box = resize_geometry(height, width, 1024)
    assert (box.new_height, box.new_width) == expected and (box.top, box.left) == (0, 0)


def test_mask_image_sits_top_left_on_grey_128():
    image = np.full((300, 400, 3), 200, dtype=np.uint8)
    pixels, box = prepare_mask_image(image, 1024)
    assert pixels.shape == (1, 3, 1024, 1024) and (box.new_height, box.new_width) == (768, 1024)
    mean, std = np.array([123.675, 116.28, 103.53]), np.array([58.395, 57.12, 57.375])
    np.testing.assert_allclose(pixels[0, :, 0, 0], (200 - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(pixels[0, :, 767, 1023], (200 - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(pixels[0, :, 768, 0], (128 - mean) / std, rtol=1e-5)


def test_clip_image_is_resized_square_and_scaled_to_minus_one_one():
    image = np.zeros((30, 70, 3), dtype=np.uint8)
    image[:, :, 0] = 255
    clip = prepare_clip_image(image, 56)
    assert clip.shape == (1, 3, 56, 56)
    np.testing.assert_allclose(clip[0, 0], 1.0)
    np.testing.assert_allclose(clip[0, 1:], -1.0)


class _Tok:
    """A word-level stand-in for decode() only (ids -> words), so the expected phrases are known by hand."""

    words = {1: "The", 2: " runway", 3: " and", 4: " the", 5: " taxiways", 6: ".", 9: " pier"}

    def decode(self, ids, skip_special_tokens=True):
        return "".join(self.words[i] for i in ids)


def test_phrases_are_the_words_before_each_seg():
    answer, phrases = split_answer(_Tok(), [1, 2, 99, 3, 4, 5, 99, 6], 99)
    assert phrases == ["The runway", "the taxiways"]
    assert answer == "The runway[SEG] and the taxiways[SEG]."
    assert split_answer(_Tok(), [99, 3, 99], 99)[1] == ["target 1", "target 2"]
    assert split_answer(_Tok(), [1, 2, 6], 99) == ("The runway.", [])
    assert clean_phrase(", and   the pier ") == "the pier"


def test_prompt_refuses_reserved_tokens(r2_torch):
    with pytest.raises(InputError, match="reserved"):
        tokenize_prompt(r2_torch.tokenizer, "the runway [SEG]")
    with pytest.raises(InputError, match="empty"):
        tokenize_prompt(r2_torch.tokenizer, "   ")
    ids = tokenize_prompt(r2_torch.tokenizer, "the pier")
    assert ids.count(-200) == 1
    text = r2_torch.tokenizer.decode([i for i in ids if i >= 0])
    assert text.startswith("[INST] <<SYS>>") and text.endswith("the pier [/INST]")
