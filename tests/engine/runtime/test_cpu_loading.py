"""Streaming loader: tensor-by-tensor reads, the fused qkv split per tensor, int8 quantisation while loading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from segearth_engine.errors import ModelFilesError
from segearth_engine.models.r1.modeling.phi import phi_state_from_checkpoint, phi_tensors_from_checkpoint
from segearth_engine.models.r1.prepared_llm import load_llm
from segearth_engine.weights.safetensors_reader import SafetensorsFile


def test_reader_matches_safetensors(tiny_model_dir):
    path = tiny_model_dir / "model.safetensors"
    reader = SafetensorsFile(path)
    with safe_open(str(path), framework="pt") as handle:
        assert sorted(reader.keys()) == sorted(handle.keys())
        for name in list(handle.keys())[::7]:
            want = handle.get_tensor(name)
            got = reader.read(name)
            assert got.dtype == want.dtype and torch.equal(got, want), name


def test_reader_refuses_truncated_and_garbage_files(tiny_model_dir, tmp_path):
    data = (tiny_model_dir / "model.safetensors").read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFilesError, match="cut.safetensors"):
        SafetensorsFile(cut)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\xff" * 64)
    with pytest.raises(ModelFilesError, match="garbage.safetensors"):
        SafetensorsFile(garbage)


def test_streamed_qkv_split_equals_the_whole_state_mapping():
    heads, hidden = 4, 32
    generator = torch.Generator().manual_seed(0)
    fused_w = torch.randn(3 * hidden, hidden, generator=generator)
    fused_b = torch.randn(3 * hidden, generator=generator)
    state = {"embed_tokens.weight": torch.zeros(2, hidden), "final_layernorm.weight": torch.ones(hidden),
             "final_layernorm.bias": torch.zeros(hidden), "layers.0.self_attn.query_key_value.weight": fused_w,
             "layers.0.self_attn.query_key_value.bias": fused_b}
    for key in ("self_attn.dense", "mlp.fc1", "mlp.fc2", "input_layernorm"):
        for kind in ("weight", "bias"):
            state[f"layers.0.{key}.{kind}"] = torch.zeros(1)
    whole = phi_state_from_checkpoint(state, heads)
    streamed = dict(phi_tensors_from_checkpoint("layers.0.self_attn.query_key_value.weight", fused_w, heads)
                    + phi_tensors_from_checkpoint("layers.0.self_attn.query_key_value.bias", fused_b, heads))
    assert set(streamed) == {f"layers.0.self_attn.{p}_proj.{k}" for p in "qkv" for k in ("weight", "bias")}
    for name, tensor in streamed.items():
        assert torch.equal(tensor, whole[name]) and tensor.is_contiguous(), name
    assert phi_tensors_from_checkpoint("layers.0.mlp.fc1.weight", fused_w, heads)[0][0] == "layers.0.mlp.fc1.weight"


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_llm_only_load(tiny_model_dir, precision):
    if precision == "int8" and not {"x86", "fbgemm", "qnnpack"} & set(torch.backends.quantized.supported_engines):
        pytest.skip("no quantised engine in this torch build")
    model = load_llm(tiny_model_dir, precision)
    llm = model.llm
    assert llm.embed_tokens.weight.dtype == torch.bfloat16  # exact for a bf16 checkpoint, half the memory
    assert not any(t.is_meta for t in [*llm.parameters(), *llm.buffers()])
    assert all(p.is_meta for p in model.vision_tower.parameters())
    assert not [m for m in llm.layers.modules() if type(m) is torch.nn.Linear]  # int8: quantised; fp32: below
    if precision == "fp32":  # on the CPU: bf16 weights as released, widened per call
        assert {type(m).__name__ for m in llm.layers.modules() if hasattr(m, "in_features")} == {"WidenedLinear"}


def _in_a_mapping_of(tensor: torch.Tensor, path: str) -> bool:
    address = tensor.untyped_storage().data_ptr()
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.endswith(path):
            low, high = (int(x, 16) for x in line.split()[0].split("-"))
            if low <= address < high:
                return True
    return False


def test_embedding_table_is_mapped_from_the_checkpoint_not_copied(tiny_model_dir):
    weights = os.path.realpath(tiny_model_dir / "model.safetensors")
    model = load_llm(tiny_model_dir, "fp32")
    table = model.llm.embed_tokens.weight
    assert table.dtype == torch.bfloat16
    assert torch.equal(table, SafetensorsFile(Path(weights)).read("model.embed_tokens.weight"))
    assert _in_a_mapping_of(table, weights), "the embedding table is not inside a mapping of the checkpoint file"
    # fp32 on the CPU keeps the layers' bf16 weights as released (mapped) and widens them per call
    assert _in_a_mapping_of(model.llm.layers[0].mlp.fc1.weight, weights)


def test_bf16_layers_are_mapped_except_the_split_qkv(tiny_model_dir):
    weights = os.path.realpath(tiny_model_dir / "model.safetensors")
    layer = load_llm(tiny_model_dir, "bf16").llm.layers[3]
    reader = SafetensorsFile(Path(weights))
    assert torch.equal(layer.mlp.fc1.weight, reader.read("model.layers.3.mlp.fc1.weight"))
    assert _in_a_mapping_of(layer.mlp.fc1.weight, weights) and _in_a_mapping_of(layer.self_attn.dense.bias, weights)
    assert not _in_a_mapping_of(layer.self_attn.q_proj.weight, weights)  # split per head: a copy
