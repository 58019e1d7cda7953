"""SegEarth-R2 behind the engine's Segmenter API: encode(image) once, then answer(encoded, question) -> targets.

Backends as for R1: "onnx" (image branches and mask decoder in ONNX Runtime, the LLM in transformers) or "torch"
(everything in PyTorch eager, the reference). The LLM always runs in float32 here (R2 has no int8/bf16 path yet).
`segment()` returns a MultiTargetPrediction (`multi_target`; the Segmenter protocol is models/base.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from segearth_engine.errors import InputError, ModelFilesError
from segearth_engine.models.r1.preprocess import unletterbox
from segearth_engine.models.r2.config import R2Config
from segearth_engine.models.r2.generation import DEFAULT_MAX_NEW_TOKENS, MAX_NEW_TOKENS_LIMIT
from segearth_engine.types import EncodedImage, MultiTargetPrediction, TargetMask

log = logging.getLogger(__name__)
BACKENDS = ("auto", "onnx", "torch")


def load_r2_tokenizer(model_dir: Path) -> tuple[Any, int, int]:
    """(tokenizer, [SEG] id, EOS id): the [SEG] id is read from the tokenizer, as upstream does."""
    tokenizer = load_tokenizer_files(model_dir)
    seg = tokenizer.encode("[SEG]", add_special_tokens=False)
    if len(seg) != 1:
        raise ModelFilesError(f"{model_dir}: the tokenizer has no [SEG] token (not a SegEarth-R2 tokenizer)")
    if tokenizer.eos_token_id is None:
        raise ModelFilesError(f"{model_dir}: the tokenizer has no end-of-text token")
    return tokenizer, seg[0], int(tokenizer.eos_token_id)


def load_tokenizer_files(model_dir: Path) -> Any:
    """The folder's fast tokenizer: local files only, no remote code."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return AutoTokenizer.from_pretrained(  # nosec B615 # a local folder only (local_files_only), no hub
            str(model_dir), use_fast=True, trust_remote_code=False, local_files_only=True,
            clean_up_tokenization_spaces=False)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"{model_dir}: the tokenizer files cannot be loaded ({exc})") from None
    finally:
        hf_logging.set_verbosity(verbosity)


def folder_max_new_tokens(model_dir: Path) -> int:
    """The answer budget a model folder asks for in generation_config.json (the release default otherwise)."""
    try:
        value = json.loads((model_dir / "generation_config.json").read_text(encoding="utf-8")).get("max_new_tokens")
    except FileNotFoundError:
        return DEFAULT_MAX_NEW_TOKENS
    except (ValueError, AttributeError) as exc:
        raise ModelFilesError(f"{model_dir}/generation_config.json is not valid JSON ({exc})") from None
    if value is None:
        return DEFAULT_MAX_NEW_TOKENS
    if not isinstance(value, int) or not 1 <= value <= MAX_NEW_TOKENS_LIMIT:
        raise ModelFilesError(f"{model_dir}/generation_config.json: max_new_tokens must be 1..{MAX_NEW_TOKENS_LIMIT}")
    return value


class R2Segmenter:
    multi_target = True

    def __init__(self, model_dir: Path, cfg: R2Config, tokenizer: Any, seg_id: int, eos_id: int, model: Any,
                 backend: str, sessions: tuple[Any, Any] | None, device: str, model_id: str,
                 max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS) -> None:
        self.model_dir, self.cfg, self.tokenizer = model_dir, cfg, tokenizer
        self.seg_id, self.eos_id = seg_id, eos_id
        self.model, self.backend, self.sessions = model, backend, sessions
        self.device, self.model_id = device, model_id
        self.max_new_tokens = max_new_tokens
        self.encoder_calls = 0
        self.llm_precision = "fp32"
        self.low_memory = False

    @property
    def image_size(self) -> int:
        return self.cfg.image_size

    @property
    def llm_loads(self) -> int:
        return 1

    @property
    def on_cuda(self) -> bool:
        return self.device.startswith("CUDA")

    def release(self) -> None:
        """Segmenter protocol: R2 keeps its parts loaded (no low-memory mode yet)."""

    def feature_nbytes(self) -> int:
        """Segmenter protocol: unknown (R2 runs one view at a time, so no batch of tiles is sized from it)."""
        return 0

    def to_cpu(self) -> None:
        """Segmenter protocol: R2 has no move to the CPU yet; out of GPU memory, the error stands."""

    @classmethod
    def from_pretrained(cls, model: str | Path, backend: str = "auto", device: str = "auto",
                        export_dir: str | Path | None = None,
                        max_new_tokens: int | None = None) -> R2Segmenter:
        """`max_new_tokens` defaults to the folder's generation_config.json value, else DEFAULT_MAX_NEW_TOKENS."""
        import torch

        from segearth_engine.models.r2.checkpoint import load_model
        from segearth_engine.weights.hub import check_manifest, resolve_model_dir

        if backend not in BACKENDS:
            raise InputError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        model_dir = resolve_model_dir(model)
        manifest = check_manifest(model_dir)
        cfg = R2Config.from_file(model_dir / "config.json")
        if max_new_tokens is None:
            max_new_tokens = folder_max_new_tokens(model_dir)
        tokenizer, seg_id, eos_id = load_r2_tokenizer(model_dir)
        if seg_id >= cfg.llm.vocab_size:
            raise ModelFilesError(f"{model_dir}: [SEG] is id {seg_id}, outside the {cfg.llm.vocab_size} embeddings")
        model_id = (manifest or {}).get("repo_id") or model_dir.name
        if backend == "auto":
            try:
                import onnxruntime  # noqa: F401

                backend = "onnx"
            except ImportError:
                backend = "torch"
        if backend == "torch":
            net = load_model(model_dir, torch.float32)
            return cls(model_dir, cfg, tokenizer, seg_id, eos_id, net, backend, None,
                       "CPU (PyTorch eager; LLM fp32)", model_id, max_new_tokens)
        sessions, provider = cls._open_graphs(model_dir, device, export_dir)
        net = load_model(model_dir, torch.float32, parts=("llm",))
        from segearth_engine.runtime.onnx_runtime import describe_device

        return cls(model_dir, cfg, tokenizer, seg_id, eos_id, net, backend, sessions,
                   describe_device(provider, "LLM fp32"), model_id, max_new_tokens)

    @staticmethod
    def _open_graphs(model_dir: Path, device: str, export_dir: str | Path | None):
        from segearth_engine.models.r1.onnx_export import (
            DECODER_FILE,
            ENCODER_FILE,
            check_graph_metadata,
            default_export_dir,
            open_or_reexport,
        )
        from segearth_engine.models.r2.onnx_export import export_r2_onnx
        from segearth_engine.runtime.onnx_runtime import create_session

        folder = Path(export_dir) if export_dir else default_export_dir(model_dir, "")
        if not (folder / ENCODER_FILE).is_file() or not (folder / DECODER_FILE).is_file():
            log.info("no ONNX graphs for %s yet: exporting them to %s (once)", model_dir, folder)
            export_r2_onnx(model_dir, folder, overwrite=True)

        def open_both():
            sessions = []
            for name, graph in ((ENCODER_FILE, "vision_encoder"), (DECODER_FILE, "mask_decoder")):
                session = create_session(folder / name, device)
                check_graph_metadata(session.metadata, model_dir, graph)
                if session.metadata.get("segearth.family") != "SegEarth-R2":
                    raise ModelFilesError(f"{folder / name} is not a SegEarth-R2 graph; export the model again")
                sessions.append(session)
            return tuple(sessions)

        sessions = open_or_reexport(open_both, lambda: export_r2_onnx(model_dir, folder, overwrite=True),
                                    managed=not export_dir)
        return sessions, sessions[0].provider

    # -- inference -------------------------------------------------------------------------------------------------
    def encode(self, image: np.ndarray, is_cancelled: Callable[[], bool] | None = None) -> EncodedImage:
        """Both branches' features of an HxWx3 uint8 RGB image; the ONNX run stops with Cancelled soon after
        `is_cancelled()` turns true."""
        import torch

        from segearth_engine.models.r2.preprocess import prepare_clip_image, prepare_mask_image

        pixels, box = prepare_mask_image(image, self.cfg.image_size, self.cfg.pad_value)
        clip = prepare_clip_image(image, self.cfg.siglip.image_size)
        self.encoder_calls += 1
        if self.sessions is not None:
            tensors = self.sessions[0].run({"pixel_values": pixels, "clip_pixel_values": clip}, is_cancelled)
        else:
            with torch.inference_mode():
                out = self.model.encode(torch.from_numpy(pixels), torch.from_numpy(clip))
            tensors = {k: v.float().numpy() for k, v in out.items()}
        return EncodedImage(tensors=tensors, letterbox=box, backend=self.backend)

    def encode_batch(self, images: Sequence[np.ndarray],
                     is_cancelled: Callable[[], bool] | None = None) -> list[EncodedImage]:
        return [self.encode(image, is_cancelled) for image in images]

    def generate(self, encoded: EncodedImage, question: str, do_sample: bool = False):
        """The LLM step: (answer token ids, [SEG] hidden states [N, hidden])."""
        import torch

        from segearth_engine.models.r2.generation import generate_answer
        from segearth_engine.models.r2.prompt import assemble, tokenize_prompt

        ids = tokenize_prompt(self.tokenizer, question)
        llm = self.model.llm
        device = llm.model.embed_tokens.weight.device
        visual = torch.from_numpy(encoded.tensors["visual_tokens"][0]).to(device, torch.float32)

        def embed(token_ids):
            return llm.model.embed_tokens(torch.as_tensor(token_ids, dtype=torch.long, device=device)).float()

        with torch.no_grad():
            inputs_embeds = assemble(ids, embed, visual)
            return generate_answer(llm, inputs_embeds, self.seg_id, self.eos_id, self.max_new_tokens, do_sample)

    def decode(self, encoded: EncodedImage, seg_hidden) -> np.ndarray:
        """[N, hidden] -> canvas logits [N, S, S] (N >= 1)."""
        import torch

        names = ("ms0", "ms1", "ms2", "mask_features")
        if self.sessions is not None:
            feeds = {"seg_hidden": seg_hidden.float().cpu().numpy(), **{n: encoded.tensors[n] for n in names}}
            return self.sessions[1].run(feeds)["canvas_logits"][0]
        with torch.inference_mode():
            canvas = self.model.decode(seg_hidden.float(), *(torch.from_numpy(encoded.tensors[n]) for n in names))
        return canvas[0].float().numpy()

    def segment(self, encoded: EncodedImage, question: str, task: str = "reasoning") -> MultiTargetPrediction:
        """Generate an answer; one mask per [SEG], at the image's own size. `task` is accepted for API symmetry."""
        from segearth_engine.models.r2.prompt import split_answer

        start = time.perf_counter()
        generation = self.generate(encoded, question)
        after_llm = time.perf_counter()
        answer, phrases = split_answer(self.tokenizer, generation.token_ids, self.seg_id)
        targets = []
        if len(phrases):
            canvas = self.decode(encoded, generation.seg_hidden)
            for phrase, logits in zip(phrases, canvas, strict=True):
                logits_out, mask = unletterbox(logits, encoded.letterbox)
                targets.append(TargetMask(phrase=phrase, logits=logits_out, mask=mask, canvas_logits=logits))
        end = time.perf_counter()
        return MultiTargetPrediction(answer=answer, targets=targets,
                                     timings={"llm": after_llm - start, "decoder": end - after_llm})

    def segment_batch(self, encoded: Sequence[EncodedImage], question: str,
                      task: str = "reasoning") -> list[MultiTargetPrediction]:
        """One generated answer per encoded image (each image is asked on its own)."""
        return [self.segment(e, question, task) for e in encoded]
