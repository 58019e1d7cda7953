"""The engine's public entry point: load a model once, encode images, answer questions with masks.

Two backends share every step except where the vision encoder and mask decoder run:
- "onnx" (default): both graphs in ONNX Runtime (CUDA provider when usable, else CPU); the LLM in transformers.
- "torch": everything in PyTorch eager; the reference the ONNX path is tested against.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from .config import SegEarthConfig
from .errors import InputError, ModelFilesError
from .preprocess import prepare_image, unletterbox
from .types import TASKS, EncodedImage, MaskPrediction

log = logging.getLogger(__name__)
BACKENDS = ("auto", "onnx", "torch")


def resolve_model_dir(model: str | Path, revision: str | None = None) -> Path:
    """A local folder as it is; a Hugging Face repo id through the pinned, sha256-checked download."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    text = str(model)
    if text.count("/") == 1 and not text.startswith((".", "/", "~")) and not path.exists():
        from .hub import download_model

        return download_model(text, revision)
    raise ModelFilesError(f"model folder {model} does not exist (nor is it a Hugging Face repo id)")


class Segmenter:
    def __init__(self, model_dir: Path, cfg: SegEarthConfig, tokenizer: Any, model: Any, backend: str,
                 sessions: tuple[Any, Any] | None, device: str, model_id: str) -> None:
        self.model_dir = model_dir
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.model = model
        self.backend = backend
        self.sessions = sessions
        self.device = device
        self.model_id = model_id
        self.encoder_calls = 0
        self._prompt_ids: dict[str, list[int]] = {}

    @property
    def image_size(self) -> int:
        return self.cfg.image_size

    # -- loading ---------------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, model: str | Path, backend: str = "auto", device: str = "auto",
                        revision: str | None = None, export_dir: str | Path | None = None) -> Segmenter:
        import torch

        from .hub import check_manifest
        from .loading import load_model
        from .prompt import load_tokenizer

        if backend not in BACKENDS:
            raise InputError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        model_dir = resolve_model_dir(model, revision)
        manifest = check_manifest(model_dir)
        cfg = SegEarthConfig.from_file(model_dir / "config.json")
        tokenizer = load_tokenizer(model_dir, cfg.pad_token_id, cfg.seg_token_id)
        model_id = (manifest or {}).get("repo_id") or model_dir.name
        if backend == "auto":
            try:
                import onnxruntime  # noqa: F401

                backend = "onnx"
            except ImportError:
                log.warning("onnxruntime is missing: running the whole model in PyTorch")
                backend = "torch"
        if backend == "torch":
            torch_device = "cuda" if device != "cpu" and torch.cuda.is_available() else "cpu"
            net = load_model(model_dir, torch.float32).to(torch_device)
            where = f"{torch_device.upper()} (PyTorch eager)"
            return cls(model_dir, cfg, tokenizer, net, backend, None, where, model_id)
        sessions, provider = cls._open_graphs(model_dir, device, export_dir)
        from .onnx_runtime import describe_device

        net = load_model(model_dir, torch.float32, parts=("llm",))
        if provider == "CUDAExecutionProvider" and torch.cuda.is_available():
            net.llm.to("cuda")
        return cls(model_dir, cfg, tokenizer, net, backend, sessions, describe_device(provider), model_id)

    @staticmethod
    def _open_graphs(model_dir: Path, device: str, export_dir: str | Path | None):
        from .onnx_export import (
            DECODER_FILE,
            ENCODER_FILE,
            check_graph_metadata,
            default_export_dir,
            export_onnx,
            weights_fingerprint,
        )
        from .onnx_runtime import create_session

        folder = Path(export_dir) if export_dir else default_export_dir(model_dir, "")
        if not (folder / ENCODER_FILE).is_file() or not (folder / DECODER_FILE).is_file():
            if not export_dir:
                folder = default_export_dir(model_dir, weights_fingerprint(model_dir))
            if not (folder / ENCODER_FILE).is_file():
                log.info("no ONNX graphs for %s yet: exporting them to %s (once)", model_dir, folder)
                export_onnx(model_dir, folder, overwrite=True)
        encoder = create_session(folder / ENCODER_FILE, device)
        decoder = create_session(folder / DECODER_FILE, device)
        check_graph_metadata(encoder.metadata, model_dir, "vision_encoder")
        check_graph_metadata(decoder.metadata, model_dir, "mask_decoder")
        return (encoder, decoder), encoder.provider

    # -- inference -------------------------------------------------------------------------------------------------
    def encode(self, image: np.ndarray) -> EncodedImage:
        """Question-independent features of an HxWx3 uint8 RGB image (any size; letterboxed like upstream)."""
        import torch

        pixels, box = prepare_image(image, self.cfg.image_size)
        self.encoder_calls += 1
        if self.sessions is not None:
            tensors = self.sessions[0].run({"pixel_values": pixels})
        else:
            device = next(self.model.parameters()).device
            with torch.inference_mode():
                out = self.model.encode(torch.from_numpy(pixels).to(device))
            tensors = {k: v.float().cpu().numpy() for k, v in out.items()}
        return EncodedImage(tensors=tensors, letterbox=box, backend=self.backend)

    def _prompt(self, task: str) -> list[int]:
        from .prompt import build_prompt, tokenize_prompt

        if task not in TASKS:
            raise InputError(f"task {task!r} is not one of {', '.join(TASKS)}")
        if task not in self._prompt_ids:
            self._prompt_ids[task] = tokenize_prompt(self.tokenizer, build_prompt(task))
        return self._prompt_ids[task]

    def pooled_description(self, encoded: EncodedImage, question: str, task: str = "reasoning"):
        """The LLM step: mean of the last hidden states over the question tokens and [SEG] -> [1, hidden]."""
        import torch

        from .prompt import assemble, refer_ids

        ids = self._prompt(task)
        question_ids = refer_ids(self.tokenizer, question, self.cfg.seg_token_id)
        llm = self.model.llm
        device = llm.embed_tokens.weight.device
        visual = torch.from_numpy(encoded.tensors["visual_tokens"][0]).to(device)

        def embed(token_ids):
            return llm.embed_tokens(torch.as_tensor(token_ids, dtype=torch.long, device=device))

        with torch.inference_mode():
            inputs_embeds, rows = assemble(ids, embed, visual, question_ids)
            return self.model.reason(inputs_embeds, rows).float()

    def segment(self, encoded: EncodedImage, question: str, task: str = "reasoning") -> MaskPrediction:
        """One question about an encoded image -> logits and mask at the image's own size."""
        import torch

        start = time.perf_counter()
        pooled = self.pooled_description(encoded, question, task)
        after_llm = time.perf_counter()
        names = ("res5", "ms0", "ms1", "ms2", "mask_features")
        if self.sessions is not None:
            feeds = {"pooled": pooled.cpu().numpy(), **{n: encoded.tensors[n] for n in names}}
            canvas = self.sessions[1].run(feeds)["canvas_logits"]
        else:
            device = pooled.device
            with torch.inference_mode():
                canvas = self.model.decode(pooled, *(torch.from_numpy(encoded.tensors[n]).to(device) for n in names))
            canvas = canvas.float().cpu().numpy()
        logits, mask = unletterbox(canvas[0, 0], encoded.letterbox)
        end = time.perf_counter()
        return MaskPrediction(logits=logits, mask=mask, timings={"llm": after_llm - start, "decoder": end - after_llm})
