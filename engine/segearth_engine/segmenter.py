"""The engine's public entry point: load a model once, encode images, answer questions with masks.

Two backends share every step except where the vision encoder and mask decoder run:
- "onnx" (default): both graphs in ONNX Runtime (CUDA provider when usable, else CPU); the LLM in transformers.
- "torch": everything in PyTorch eager; the reference the ONNX path is tested against.
"""

from __future__ import annotations

import gc
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
    """Loaded model + how it runs. `low_memory` releases the LLM after each question (and the encoder session after
    each encoding) and reloads them lazily: slower per question, but the resident set stays near one part's size."""

    def __init__(self, model_dir: Path, cfg: SegEarthConfig, tokenizer: Any, model: Any, backend: str,
                 sessions: tuple[Any, Any] | None, device: str, model_id: str, llm_precision: str = "fp32",
                 low_memory: bool = False, onnx_device: str = "auto", graph_dir: Path | None = None) -> None:
        self.model_dir = model_dir
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.model = model
        self.backend = backend
        self.sessions = sessions
        self.device = device
        self.model_id = model_id
        self.llm_precision = llm_precision
        self.low_memory = low_memory
        self.encoder_calls = 0
        self.llm_loads = 1 if model is not None else 0
        self._onnx_device = onnx_device
        self._graph_dir = graph_dir
        self._prompt_ids: dict[str, list[int]] = {}

    @property
    def image_size(self) -> int:
        return self.cfg.image_size

    # -- loading ---------------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, model: str | Path, backend: str = "auto", device: str = "auto",
                        revision: str | None = None, export_dir: str | Path | None = None,
                        llm_precision: str = "auto", low_memory: bool = False) -> Segmenter:
        """Load a model folder (or a pinned hub repo id).

        `llm_precision` ("auto", "fp32", "bf16", "int8"): the LLM's precision on the CPU; "auto" picks per machine
        (llm_precision.AUTO_ORDER) for the ONNX backend and fp32 for the PyTorch reference backend.
        `low_memory`: release the LLM between questions and the encoder session after encoding (ONNX backend).
        """
        import torch

        from .hub import check_manifest
        from .llm_precision import choose_precision, load_llm
        from .prompt import load_tokenizer

        if backend not in BACKENDS:
            raise InputError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        if backend == "torch" and low_memory:
            raise InputError("low_memory needs the onnx backend (the PyTorch backend keeps the whole model)")
        model_dir = resolve_model_dir(model, revision)
        from .r2.config import is_r2_model_dir

        if is_r2_model_dir(model_dir):  # SegEarth-R2: multi-target answers (r2/segmenter.py)
            from .r2.segmenter import R2Segmenter

            if low_memory or llm_precision not in ("auto", "fp32"):
                raise InputError("SegEarth-R2 runs its LLM in fp32 and has no low-memory mode yet")
            return R2Segmenter.from_pretrained(model_dir, backend, device, export_dir)  # type: ignore[return-value]
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
                low_memory = False
        if backend == "torch":
            torch_device = "cuda" if device != "cpu" and torch.cuda.is_available() else "cpu"
            choice = choose_precision("fp32" if llm_precision == "auto" else llm_precision, torch_device == "cuda")
            net = cls._load_torch(model_dir, choice.precision, torch_device)
            where = f"{torch_device.upper()} (PyTorch eager; LLM {choice.label})"
            return cls(model_dir, cfg, tokenizer, net, backend, None, where, model_id, choice.precision)
        sessions, provider, graph_dir = cls._open_graphs(model_dir, device, export_dir)
        from .onnx_runtime import describe_device

        cuda = provider == "CUDAExecutionProvider" and torch.cuda.is_available()
        choice = choose_precision(llm_precision, cuda, low_memory=low_memory)
        net = None  # low memory: loaded on the first question, so it never sits beside the encoder session
        if not low_memory:
            start = time.perf_counter()
            net = load_llm(model_dir, choice.precision, "cuda" if cuda else "cpu")
            log.info("LLM loaded in %s (%s) in %.1f s", choice.label, choice.reason, time.perf_counter() - start)
        where = describe_device(provider, f"LLM {choice.label}" + ("; low memory" if low_memory else ""))
        seg = cls(model_dir, cfg, tokenizer, net, backend, sessions, where, model_id, choice.precision, low_memory,
                  device, graph_dir)
        return seg

    @staticmethod
    def _load_torch(model_dir: Path, precision: str, torch_device: str):
        """The whole model in PyTorch: fp32 (the reference), or the vision side fp32 and the LLM in `precision`."""
        import torch

        from .llm_precision import load_llm
        from .loading import load_model
        from .onnx_export import VISION_PARTS

        if precision == "fp32":
            return load_model(model_dir, torch.float32).to(torch_device)
        net = load_model(model_dir, torch.float32, parts=(*VISION_PARTS, "seg_query")).to(torch_device)
        net.llm = load_llm(model_dir, precision, torch_device).llm
        return net

    @staticmethod
    def _open_graphs(model_dir: Path, device: str, export_dir: str | Path | None):
        from .onnx_export import (
            DECODER_FILE,
            ENCODER_FILE,
            default_export_dir,
            export_onnx,
            weights_fingerprint,
        )

        folder = Path(export_dir) if export_dir else default_export_dir(model_dir, "")
        if not (folder / ENCODER_FILE).is_file() or not (folder / DECODER_FILE).is_file():
            if not export_dir:
                folder = default_export_dir(model_dir, weights_fingerprint(model_dir))
            if not (folder / ENCODER_FILE).is_file():
                log.info("no ONNX graphs for %s yet: exporting them to %s (once)", model_dir, folder)
                export_onnx(model_dir, folder, overwrite=True)
        encoder = Segmenter._open_graph(model_dir, folder / ENCODER_FILE, device, "vision_encoder")
        decoder = Segmenter._open_graph(model_dir, folder / DECODER_FILE, device, "mask_decoder")
        return (encoder, decoder), encoder.provider, folder

    @staticmethod
    def _open_graph(model_dir: Path, path: Path, device: str, graph: str):
        from .onnx_export import check_graph_metadata
        from .onnx_runtime import create_session

        session = create_session(path, device)
        check_graph_metadata(session.metadata, model_dir, graph)
        return session

    # -- low-memory mode -------------------------------------------------------------------------------------------
    def _encoder_session(self):
        from .onnx_export import ENCODER_FILE

        if self.sessions[0] is None:  # released after the last encoding (low_memory)
            encoder = self._open_graph(self.model_dir, self._graph_dir / ENCODER_FILE, self._onnx_device,
                                       "vision_encoder")
            self.sessions = (encoder, self.sessions[1])
        return self.sessions[0]

    def _llm_model(self):
        if self.model is None:  # released after the last question (low_memory)
            from .llm_precision import load_llm

            device = "cuda" if self.device.startswith("CUDA") else "cpu"
            self.model = load_llm(self.model_dir, self.llm_precision, device)
            self.llm_loads += 1
        return self.model

    def release(self) -> None:
        """Drop the LLM and the encoder session now (low-memory mode does this by itself); both reload on demand."""
        if self.backend != "onnx":
            return
        self.model = None
        if self.sessions is not None and self.sessions[0] is not None:
            self.sessions = (None, self.sessions[1])
        gc.collect()

    # -- inference -------------------------------------------------------------------------------------------------
    def encode(self, image: np.ndarray) -> EncodedImage:
        """Question-independent features of an HxWx3 uint8 RGB image (any size; letterboxed like upstream)."""
        import torch

        pixels, box = prepare_image(image, self.cfg.image_size)
        self.encoder_calls += 1
        if self.sessions is not None:
            tensors = self._encoder_session().run({"pixel_values": pixels})
            if self.low_memory:
                self.sessions = (None, self.sessions[1])
                gc.collect()
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

        from .llm_precision import compute_dtype
        from .prompt import assemble, refer_ids

        ids = self._prompt(task)
        question_ids = refer_ids(self.tokenizer, question, self.cfg.seg_token_id)
        model = self._llm_model()
        llm = model.llm
        device = llm.embed_tokens.weight.device
        dtype = compute_dtype(self.llm_precision)
        visual = torch.from_numpy(encoded.tensors["visual_tokens"][0]).to(device, dtype)

        def embed(token_ids):
            # The table may be stored in bf16 (exact for a bf16 checkpoint); the LLM computes in `dtype`.
            return llm.embed_tokens(torch.as_tensor(token_ids, dtype=torch.long, device=device)).to(dtype)

        with torch.inference_mode():
            inputs_embeds, rows = assemble(ids, embed, visual, question_ids)
            pooled = model.reason(inputs_embeds, rows).float()
        if self.low_memory:
            self.model = None
            gc.collect()
        return pooled

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
        return MaskPrediction(logits=logits, mask=mask, timings={"llm": after_llm - start, "decoder": end - after_llm},
                              canvas_logits=canvas[0, 0])
