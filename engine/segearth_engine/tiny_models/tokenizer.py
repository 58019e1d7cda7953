"""Offline byte-level BPE tokenizer files for tiny test models, in the official Phi-1.5 / CodeGen layout.

The released checkpoint ships a CodeGenTokenizer (vocab.json, merges.txt, tokenizer_config.json,
special_tokens_map.json, added_tokens.json) with `<|endoftext|>` = 50256, `[PAD]` = 50295 (special) and
`[SEG]` = 50296 (a normal added token), 50,297 ids in all. Tiny models need files that load the same way and keep
those ids, without downloading anything. We train merges on a small built-in corpus with the `tokenizers` library
(deterministic for a given corpus) and pad the vocabulary with filler entries that BPE can never produce.

THE OTHER IDS ARE NOT PHI-1.5'S: a tiny model's tokenizer only has the right shape, never the right vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

ENDOFTEXT, ENDOFTEXT_ID = "<|endoftext|>", 50256
PAD, PAD_ID = "[PAD]", 50295
SEG, SEG_ID = "[SEG]", 50296
BASE_VOCAB_SIZE = 50295  # len(tokenizer) of Phi-1.5 before SegEarth-R1 adds [PAD] and [SEG]
MAX_MERGES = 2000

# Built-in training text: the prompt template and the kind of questions SegEarth-R1 is asked.
CORPUS = (
    "You are a helpful language and vision assistant. You are able to understand the visual content that the user "
    "provides, and assist the user with a variety of tasks using natural language.",
    "This is an image, Please doing Reasoning Segmentation according to the following instruction:",
    "This is an image, Please doing Referring Segmentation according to the following instruction:",
    "Sure, It is the target. There is no target object in the image. Sure.",
    "Where could a small plane land? Where can a boat be moored safely? Where would people go swimming?",
    "Which area is most likely to flood after heavy rain? Which buildings could be used as a shelter?",
    "What part of the image shows farmland that is being irrigated? Which road leads to the harbour?",
    "the lake on the left, the river in the middle of the image, the forest at the top right corner",
    "the large building next to the parking lot, the white ship at the bottom, the bridge over the river",
    "the baseball field near the road, the tennis court on the right, the storage tanks at the bottom left",
    "the airport runway, the vehicles on the highway, the green field between the two houses",
    "Remote sensing images show the surface of the earth from above: roads, rivers, lakes, buildings, fields, "
    "forests, harbours, airports, bridges, railways, stadiums, ships, planes, vehicles and storage tanks.",
    "Satellite and aerial images are used to map land cover, to monitor cities and crops, and to assess damage "
    "after floods, fires and earthquakes.",
    "The model reads the question, looks at the image and segments the region that answers it.",
    "A small plane needs a long, straight and flat strip of land, such as a runway, a road or an open field.",
    "Boats are moored in a harbour or along the shore of a river or a lake; people swim in pools and at beaches.",
    "The segmentation mask marks every pixel of the object or region that the instruction refers to.",
    "In the north of the image there is a dense forest, in the south a residential area with many small houses.",
    "A golf course, a soccer field and a ground track field are sports areas; a parking lot holds many cars.",
)


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 bytes, in its id order (printable bytes first, then the rest)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    keep = set(printable)
    shifted = [b for b in range(256) if b not in keep]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(shifted))]


def _train_merges(corpus: Iterable[str]) -> list[tuple[str, str]]:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=256 + MAX_MERGES, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tokenizer.train_from_iterator(list(corpus), trainer)
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ", 1)) if isinstance(m, str) else (m[0], m[1]) for m in merges]


def _token_record(content: str, special: bool) -> dict:
    return {"content": content, "lstrip": False, "normalized": not special, "rstrip": False,
            "single_word": False, "special": special}


def build_tokenizer_files(out_dir: Path, corpus: Iterable[str] | None = None) -> None:
    """Write a CodeGenTokenizer with the release's special ids into `out_dir` (NOT Phi-1.5's other ids)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merges = _train_merges(CORPUS if corpus is None else corpus)
    tokens = _byte_alphabet() + [a + b for a, b in merges]
    if len(tokens) > ENDOFTEXT_ID or len(set(tokens)) != len(tokens):
        raise ValueError(f"BPE training gave {len(tokens)} tokens (duplicates or more than {ENDOFTEXT_ID})")
    vocab = {token: i for i, token in enumerate(tokens)}
    for i in range(len(tokens), BASE_VOCAB_SIZE):
        # Fillers: never produced by BPE (no merges lead to them), only there to give the release's id layout.
        vocab[ENDOFTEXT if i == ENDOFTEXT_ID else f"<|unused_{i}|>"] = i

    def dump(name: str, data: object, indent: int | None = 2) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=indent)
        (out_dir / name).write_text(text + "\n", encoding="utf-8")

    dump("vocab.json", vocab, indent=None)
    lines = ["#version: 0.2", *(f"{a} {b}" for a, b in merges)]
    (out_dir / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    dump("added_tokens.json", {PAD: PAD_ID, SEG: SEG_ID})
    plain = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False}
    dump("special_tokens_map.json", {
        "bos_token": {"content": ENDOFTEXT, **plain},
        "eos_token": {"content": ENDOFTEXT, **plain},
        "pad_token": {"content": PAD, **plain},
        "unk_token": {"content": ENDOFTEXT, **plain},
    })
    dump("tokenizer_config.json", {
        "add_bos_token": False,  # nosec B105 # a tokenizer setting, not a password
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(ENDOFTEXT_ID): _token_record(ENDOFTEXT, True),
            str(PAD_ID): _token_record(PAD, True),
            str(SEG_ID): _token_record(SEG, False),
        },
        "bos_token": ENDOFTEXT,
        "clean_up_tokenization_spaces": True,
        "eos_token": ENDOFTEXT,
        "errors": "replace",
        "model_max_length": 2048,
        "pad_token": PAD,
        "padding_side": "right",
        "tokenizer_class": "CodeGenTokenizer",
        "unk_token": ENDOFTEXT,
    })
