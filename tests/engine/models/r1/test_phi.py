"""Our Phi body (transformers 5.x PhiModel + checkpoint mapping) against upstream's transformers 4.36.2 PhiModel."""

from pathlib import Path

import pytest
import torch

from segearth_engine.errors import CheckpointKeyError
from segearth_engine.models.r1.config import LLMConfig
from segearth_engine.models.r1.modeling.phi import (
    build_phi,
    fuse_qkv,
    hidden_states,
    phi_state_from_checkpoint,
    phi_state_to_checkpoint,
    split_fused_qkv,
)

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "upstream_r1" / "phi.safetensors"
HEADS = 4
CFG = LLMConfig(vocab_size=128, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                num_attention_heads=HEADS, max_position_embeddings=64)
MEANINGFUL_PADDED_ROWS = 18


@pytest.fixture(scope="module")
def fixture():
    from safetensors.torch import load_file

    tensors = load_file(str(FIXTURE))
    weights = {k[len("weights."):]: v for k, v in tensors.items() if k.startswith("weights.")}
    return weights, tensors


def _run(model, tensors):
    with torch.no_grad():
        full = hidden_states(model, tensors["inputs.inputs_embeds"])
        padded = hidden_states(model, tensors["inputs.inputs_embeds"], tensors["inputs.attention_mask_padded"])
    return ((full - tensors["outputs.last_hidden_state"]).abs().max().item(),
            (padded - tensors["outputs.last_hidden_state_padded"])[:, :MEANINGFUL_PADDED_ROWS].abs().max().item())


@pytest.mark.parametrize("attn", ["eager", "sdpa"])
def test_matches_upstream(fixture, attn):
    weights, tensors = fixture
    model = build_phi(CFG, attn)
    assert model.config._attn_implementation == attn
    model.load_state_dict(phi_state_from_checkpoint(weights, HEADS), strict=True)
    diff, diff_padded = _run(model, tensors)
    assert diff <= 1e-4 and diff_padded <= 1e-4, (diff, diff_padded)


def test_plain_chunk_split_is_wrong(fixture):
    """The interleaving matters: splitting the fused projection in three blocks gives clearly different outputs."""
    weights, tensors = fixture
    state = phi_state_from_checkpoint(weights, HEADS)
    for i in range(CFG.num_hidden_layers):
        fused = f"layers.{i}.self_attn.query_key_value"
        for kind in ("weight", "bias"):
            for target, part in zip(("q_proj", "k_proj", "v_proj"), weights[f"{fused}.{kind}"].chunk(3), strict=True):
                state[f"layers.{i}.self_attn.{target}.{kind}"] = part
    model = build_phi(CFG, "eager")
    model.load_state_dict(state, strict=True)
    diff, _ = _run(model, tensors)
    assert diff > 0.5


def test_fuse_split_round_trip_is_exact(fixture):
    weights, _ = fixture
    w, b = weights["layers.0.self_attn.query_key_value.weight"], weights["layers.0.self_attn.query_key_value.bias"]
    (wq, bq), (wk, bk), (wv, bv) = split_fused_qkv(w, b, HEADS)
    assert torch.equal(wq[:16], w[:16]) and torch.equal(wk[:16], w[16:32]) and torch.equal(wv[:16], w[32:48])
    w2, b2 = fuse_qkv((wq, bq), (wk, bk), (wv, bv), HEADS)
    assert torch.equal(w2, w) and torch.equal(b2, b)
    back = phi_state_to_checkpoint(phi_state_from_checkpoint(weights, HEADS), HEADS)
    assert back.keys() == weights.keys()
    assert all(torch.equal(back[k], weights[k]) for k in weights)


def test_mapping_names_missing_and_unexpected_keys(fixture):
    weights, _ = fixture
    missing = {k: v for k, v in weights.items() if k != "layers.1.self_attn.query_key_value.bias"}
    with pytest.raises(CheckpointKeyError, match=r"layers\.1\.self_attn\.query_key_value\.bias"):
        phi_state_from_checkpoint(missing, HEADS)
    with pytest.raises(CheckpointKeyError, match="lm_head.weight"):
        phi_state_from_checkpoint({**weights, "lm_head.weight": weights["embed_tokens.weight"]}, HEADS)
    state = phi_state_from_checkpoint(weights, HEADS)
    del state["layers.0.self_attn.k_proj.weight"]
    with pytest.raises(CheckpointKeyError, match=r"layers\.0\.self_attn\.k_proj\.weight"):
        phi_state_to_checkpoint(state, HEADS)


def test_meta_build_maps_to_checkpoint_layout():
    """Names and shapes line up with the release on the meta device (how the loader checks a file's layout)."""
    with torch.device("meta"):
        model = build_phi(LLMConfig())
    layout = {k: tuple(v.shape) for k, v in phi_state_to_checkpoint(model.state_dict(), 32).items()}
    assert layout["layers.23.self_attn.query_key_value.weight"] == (6144, 2048)
    assert layout["layers.0.self_attn.query_key_value.bias"] == (6144,)
    assert layout["embed_tokens.weight"] == (50297, 2048)
    assert len(layout) == 3 + 24 * 10
