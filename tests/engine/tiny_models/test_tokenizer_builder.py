"""The offline tokenizer for tiny models loads like the release's and keeps its special ids."""

import pytest

from segearth_engine.tiny_models.tokenizer import build_tokenizer_files


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("tokenizer")
    build_tokenizer_files(out)
    return out


def test_layout_and_ids(built):
    from transformers import AutoTokenizer

    names = {p.name for p in built.iterdir()}
    assert names == {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
                     "added_tokens.json"}
    tokenizer = AutoTokenizer.from_pretrained(str(built), use_fast=True, trust_remote_code=False,
                                              local_files_only=True)
    assert type(tokenizer).__name__ == "CodeGenTokenizer"
    assert len(tokenizer) == 50297
    assert tokenizer.convert_tokens_to_ids(["<|endoftext|>", "[PAD]", "[SEG]"]) == [50256, 50295, 50296]
    assert tokenizer.pad_token_id == 50295
    assert "[PAD]" in tokenizer.all_special_tokens and "[SEG]" not in tokenizer.all_special_tokens
    sentence = "Where could a small plane land near the river? Ünïcödé 東京"
    ids = tokenizer.encode(sentence, add_special_tokens=False)
    assert tokenizer.decode(ids) == sentence
    assert len(tokenizer.encode(" the lake on the left", add_special_tokens=False)) <= 8  # merges were learnt
    assert tokenizer.encode("x [SEG]<|endoftext|>", add_special_tokens=False)[-2:] == [50296, 50256]


def test_deterministic(built, tmp_path):
    build_tokenizer_files(tmp_path)
    for path in built.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
