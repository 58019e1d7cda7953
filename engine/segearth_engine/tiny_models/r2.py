"""Tiny, randomly initialised SegEarth-R2 models for tests, in the derived release layout (names, ranks, fp16).

A random LLM never writes [SEG], so the maker can also plant a *scripted answer* (`script=True`, the default): a
TEST CONSTRUCTION, not a working model. The embedding rows of a few tokens are made so large that the residual
stream is dominated by the current token, and the lm_head rows of their successors point along those tokens'
normalised embeddings: greedy decoding then follows a fixed bigram chain,
    prompt end -> "runway" -> [SEG] -> "and" -> "taxiways" -> [SEG] -> "and" -> "taxiways" -> ...
which, cut by max_new_tokens = scripted_max_new_tokens(tokenizer), reads "runway[SEG] and taxiways[SEG] and":
two [SEG], two phrases.
Everything else (all 32 layers, SigLIP, Swin, decoders) stays random and runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path

from segearth_engine.errors import OutputExistsError
from segearth_engine.models.r2.config import R2Config, tiny_r2_config

README = """# Tiny SegEarth-R2 test model (random weights)

Written by segearth_engine.tiny_models.r2 with seed {seed}. It has the derived layout of a SegEarth-R2 checkpoint
(tensor names, ranks, float16, tokenizer files) at small widths and RANDOM weights: its masks are meaningless.
{script}Never use it to segment anything.
"""
SCRIPT_NOTE = ("Its LLM was rigged so that greedy decoding writes the fixed answer 'runway[SEG] and taxiways[SEG] ...'"
               " (a test construction).\n")
CORPUS_EXTRA = ("the runway and the taxiways", "all storage tanks and the pier", "the taxiways next to the runway")
SCRIPT_WORDS = (" runway", "[SEG]", " and", " taxiways", "[SEG]")
BIG = 400.0


def scripted_max_new_tokens(tokenizer) -> int:
    """The max_new_tokens that stops the scripted chain right after the second " and"."""
    words = (*SCRIPT_WORDS, " and")
    return sum(len(tokenizer.encode(word, add_special_tokens=False)) for word in words)


def _script_chain(tokenizer, prompt_last: int) -> list[tuple[int, int]]:
    """(token, successor) pairs of the scripted answer; every token has one successor."""
    ids: list[int] = []
    for word in SCRIPT_WORDS:
        ids.extend(tokenizer.encode(word, add_special_tokens=False))
    chain = [(prompt_last, ids[0])] + list(zip(ids[:-1], ids[1:], strict=True))
    successor: dict[int, int] = {}
    for token, nxt in chain:
        if successor.setdefault(token, nxt) != nxt:
            raise ValueError(f"the tiny tokenizer splits the script ambiguously at token {token}")
    return sorted(successor.items())


def _rig_llm(model, tokenizer, prompt_last: int, generator) -> None:
    import torch

    llm = model.llm
    embed = llm.model.embed_tokens.weight
    norm = llm.model.final_layernorm
    with torch.no_grad():
        chain = _script_chain(tokenizer, prompt_last)
        for token, _ in chain:
            direction = torch.randn(embed.shape[1], generator=generator)
            embed[token] = BIG * direction / direction.norm()
        rows: dict[int, torch.Tensor] = {}
        for token, nxt in chain:  # a successor of several tokens ([SEG]) answers to all of them
            normed = torch.nn.functional.layer_norm(embed[token][None], (embed.shape[1],), norm.weight, norm.bias,
                                                    norm.eps)[0]
            rows[nxt] = rows.get(nxt, 0) + normed / normed.norm() * 4.0
        for nxt, row in rows.items():
            llm.lm_head.weight[nxt] = row


def make_tiny_r2_model(out_dir: str | Path, seed: int = 0, cfg: R2Config | None = None, overwrite: bool = False,
                       script: bool = True) -> Path:
    import torch

    from segearth_engine.models.r2.checkpoint import build_model, to_checkpoint
    from segearth_engine.models.r2.prompt import tokenize_prompt
    from segearth_engine.models.r2.segmenter import load_tokenizer_files
    from segearth_engine.tiny_models.r1 import redraw_parameters, save_weights
    from segearth_engine.tiny_models.tokenizer import CORPUS, build_tokenizer_files
    from segearth_engine.weights.checkpoint import sha256_of
    from segearth_engine.weights.hub import write_manifest

    out = Path(out_dir)
    if (out / "model.safetensors").exists() and not overwrite:
        raise OutputExistsError(f"{out} already holds a model; pass overwrite=True to replace it")
    out.mkdir(parents=True, exist_ok=True)
    cfg = cfg or tiny_r2_config()
    build_tokenizer_files(out, (*CORPUS, *CORPUS_EXTRA))
    torch.manual_seed(seed)
    model = build_model(cfg, "cpu")
    generator = torch.Generator().manual_seed(seed)
    redraw_parameters(model, generator)
    if script:
        tokenizer = load_tokenizer_files(out)
        prompt_last = tokenize_prompt(tokenizer, "the runway and the taxiways")[-1]
        _rig_llm(model, tokenizer, prompt_last, generator)
    save_weights({to_checkpoint(k): v for k, v in model.state_dict().items()}, out / "model.safetensors",
                 torch.float16)
    (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2), encoding="utf-8")
    generation = {"bos_token_id": 50256, "eos_token_id": 50256}  # nosec B105 # token ids, not passwords
    if script:  # the scripted chain ends after its second [SEG] only with this budget
        generation["max_new_tokens"] = scripted_max_new_tokens(load_tokenizer_files(out))
    (out / "generation_config.json").write_text(json.dumps(generation), encoding="utf-8")
    (out / "README.md").write_text(README.format(seed=seed, script=SCRIPT_NOTE if script else ""), encoding="utf-8")
    digest = sha256_of(out / "model.safetensors")
    write_manifest(out, f"tiny-r2-random-seed{seed}", "local", {"model.safetensors": digest})
    return out
