"""SegEarth-R1 as a Segmenter (models/base.py): load a model once, encode images, answer questions with masks.

Two backends share every step except where the vision encoder and mask decoder run:
- "onnx" (default): both graphs in ONNX Runtime (CUDA provider when usable, else CPU); the LLM in transformers.
- "torch": everything in PyTorch eager; the reference the ONNX path is tested against.
"""

from __future__ import annotations

import copy
import gc
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from segearth_engine.errors import InputError
from segearth_engine.models.r1.config import SegEarthConfig
from segearth_engine.models.r1.preprocess import prepare_image, unletterbox
from segearth_engine.runtime.heap import release_free_heap
from segearth_engine.types import TASKS, EncodedImage, MaskPrediction

log = logging.getLogger(__name__)
BACKENDS = ("auto", "onnx", "torch")


class Segmenter:
    """Loaded model + how it runs. `low_memory` releases the LLM after each question (and the encoder session after
    each encoding) and reloads them lazily: slower per question, but the resident set stays near one part's size."""

    multi_target = False  # one mask per question (models/base.py: the Segmenter protocol)

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
        self._heads: dict[tuple, Any] = {}  # the prompt's text before the image, in the LLM (_head)

    @property
    def image_size(self) -> int:
        return self.cfg.image_size

    # -- loading ---------------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, model: str | Path, backend: str = "auto", device: str = "auto",
                        revision: str | None = None, export_dir: str | Path | None = None,
                        llm_precision: str = "auto", low_memory: bool = False) -> Segmenter:
        """Load a SegEarth-R1 model folder (or a pinned hub repo id); models/families.load_segmenter picks the family.

        `llm_precision` ("auto", "fp32", "bf16", "int8"): the LLM's precision on the CPU; "auto" picks per machine
        (llm_precision.AUTO_ORDER) for the ONNX backend and fp32 for the PyTorch reference backend.
        `low_memory`: release the LLM between questions and the encoder session after encoding (ONNX backend).
        """
        from segearth_engine.models.r1.prompt import load_tokenizer
        from segearth_engine.weights.hub import check_manifest, resolve_model_dir

        if backend not in BACKENDS:
            raise InputError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
        if backend == "torch" and low_memory:
            raise InputError("low_memory needs the onnx backend (the PyTorch backend keeps the whole model)")
        model_dir = resolve_model_dir(model, revision)
        manifest = check_manifest(model_dir)
        cfg = SegEarthConfig.from_file(model_dir / "config.json")
        model_id = (manifest or {}).get("repo_id") or model_dir.name

        def tokenizer():
            return load_tokenizer(model_dir, cfg.pad_token_id, cfg.seg_token_id)

        if backend == "auto":
            try:
                import onnxruntime  # noqa: F401

                backend = "onnx"
            except ImportError:
                log.warning("onnxruntime is missing: running the whole model in PyTorch")
                backend = "torch"
                low_memory = False
        if backend == "torch":
            import torch

            from segearth_engine.runtime.llm_precision import choose_precision

            tok = tokenizer()
            torch_device = "cuda" if device != "cpu" and torch.cuda.is_available() else "cpu"
            choice = choose_precision("fp32" if llm_precision == "auto" else llm_precision, torch_device == "cuda")
            net = cls._load_torch(model_dir, choice.precision, torch_device)
            where = f"{torch_device.upper()} (PyTorch eager; LLM {choice.label})"
            return cls(model_dir, cfg, tok, net, backend, None, where, model_id, choice.precision)
        from segearth_engine.runtime.onnx_runtime import describe_device

        tok, sessions, provider, graph_dir, net, choice = cls._load_onnx_side(model_dir, device, export_dir,
                                                                              llm_precision, low_memory, tokenizer)
        where = describe_device(provider, f"LLM {choice.label}" + ("; low memory" if low_memory else ""))
        seg = cls(model_dir, cfg, tok, net, backend, sessions, where, model_id, choice.precision, low_memory,
                  device, graph_dir)
        release_free_heap()  # what parsing the graphs and quantising the LLM freed (~0.5 GB at full size)
        return seg

    @classmethod
    def _load_onnx_side(cls, model_dir: Path, device: str, export_dir: str | Path | None, llm_precision: str,
                        low_memory: bool, tokenizer: Callable[[], Any]):
        """(tokenizer, sessions, provider, graph folder, LLM or None, precision choice) for the ONNX backend.

        On the CPU, with the graphs already exported, they are opened on a second thread from the start, while this
        one imports torch and loads the tokenizer and the LLM: ONNX Runtime's session set-up (~2 s at full size)
        releases the GIL, so it runs beside those instead of before them. Otherwise the tokenizer is checked first
        (before a first export of minutes), and with CUDA the LLM's device depends on the provider that starts."""
        from segearth_engine.models.r1.onnx_export import graphs_folder
        from segearth_engine.runtime.llm_precision import choose_precision
        from segearth_engine.runtime.onnx_runtime import CUDA, wanted_providers

        def llm(choice, folder: Path, on: str):
            if low_memory:  # loaded on the first question, so it never sits beside the encoder session
                return None
            from segearth_engine.models.r1.prepared_llm import load_llm

            start = time.perf_counter()
            net = load_llm(model_dir, choice.precision, on, store=folder)
            log.info("LLM loaded in %s (%s) in %.1f s", choice.label, choice.reason, time.perf_counter() - start)
            return net

        folder, missing = graphs_folder(model_dir, export_dir)
        if not missing and wanted_providers(device)[0] != CUDA:
            with ThreadPoolExecutor(max_workers=1) as pool:
                graphs = pool.submit(cls._open_graphs, model_dir, device, export_dir)
                tok = tokenizer()
                choice = choose_precision(llm_precision, False, low_memory=low_memory)
                net = llm(choice, folder, "cpu")
                sessions, provider, graph_dir = graphs.result()
            return tok, sessions, provider, graph_dir, net, choice
        import torch

        tok = tokenizer()
        sessions, provider, graph_dir = cls._open_graphs(model_dir, device, export_dir)
        cuda = provider == CUDA and torch.cuda.is_available()
        choice = choose_precision(llm_precision, cuda, low_memory=low_memory)
        return tok, sessions, provider, graph_dir, llm(choice, graph_dir, "cuda" if cuda else "cpu"), choice

    @staticmethod
    def _load_torch(model_dir: Path, precision: str, torch_device: str):
        """The whole model in PyTorch: fp32 (the reference), or the vision side fp32 and the LLM in `precision`."""
        import torch

        from segearth_engine.models.r1.loading import load_model
        from segearth_engine.models.r1.onnx_export import VISION_PARTS
        from segearth_engine.models.r1.prepared_llm import load_llm

        if precision == "fp32":
            return load_model(model_dir, torch.float32).to(torch_device)
        net = load_model(model_dir, torch.float32, parts=(*VISION_PARTS, "seg_query")).to(torch_device)
        net.llm = load_llm(model_dir, precision, torch_device).llm
        return net

    @staticmethod
    def _open_graphs(model_dir: Path, device: str, export_dir: str | Path | None):
        from segearth_engine.models.r1.onnx_export import (
            DECODER_FILE,
            ENCODER_FILE,
            export_onnx,
            graphs_folder,
            open_or_reexport,
        )
        from segearth_engine.runtime.fp16_graphs import fp16_variant
        from segearth_engine.runtime.onnx_runtime import CUDA, wanted_providers

        folder, missing = graphs_folder(model_dir, export_dir)
        if missing:
            log.info("no ONNX graphs for %s yet: exporting them to %s (once)", model_dir, folder)
            export_onnx(model_dir, folder, overwrite=True)

        def open_both(on: str, fp16: bool):
            pick = fp16_variant if fp16 else Path  # CUDA runs the fp16 variants (fp16_graphs.py)
            return (Segmenter._open_graph(model_dir, pick(folder / ENCODER_FILE), on, "vision_encoder"),
                    Segmenter._open_graph(model_dir, pick(folder / DECODER_FILE), on, "mask_decoder"))

        cuda = wanted_providers(device)[0] == CUDA
        encoder, decoder = open_or_reexport(lambda: open_both(device, cuda),
                                            lambda: export_onnx(model_dir, folder, overwrite=True),
                                            managed=not export_dir)
        if cuda and encoder.provider != CUDA:  # the CUDA provider failed to start: the CPU runs the fp32 graphs
            log.warning("ONNX Runtime fell back to %s: using the fp32 graphs", encoder.provider)
            encoder, decoder = open_both("cpu", False)
        return (encoder, decoder), encoder.provider, folder

    @staticmethod
    def _open_graph(model_dir: Path, path: Path, device: str, graph: str):
        from segearth_engine.models.r1.onnx_export import check_graph_metadata
        from segearth_engine.runtime.onnx_runtime import create_session

        session = create_session(path, device)
        check_graph_metadata(session.metadata, model_dir, graph)
        return session

    # -- low-memory mode -------------------------------------------------------------------------------------------
    def _encoder_session(self):
        from segearth_engine.models.r1.onnx_export import ENCODER_FILE

        if self.sessions[0] is None:  # released after the last encoding (low_memory)
            from segearth_engine.runtime.fp16_graphs import fp16_variant

            path = self._graph_dir / ENCODER_FILE
            encoder = self._open_graph(self.model_dir, fp16_variant(path) if self.on_cuda else path,
                                       self._onnx_device, "vision_encoder")
            self.sessions = (encoder, self.sessions[1])
        return self.sessions[0]

    def _llm_model(self):
        if self.model is None:  # released after the last question (low_memory)
            from segearth_engine.models.r1.prepared_llm import load_llm

            device = "cuda" if self.device.startswith("CUDA") else "cpu"
            self.model = load_llm(self.model_dir, self.llm_precision, device, store=self._graph_dir)
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
    def encode(self, image: np.ndarray, is_cancelled: Callable[[], bool] | None = None) -> EncodedImage:
        """Question-independent features of an HxWx3 uint8 RGB image (any size; letterboxed like upstream).

        On CUDA (with torch's CUDA) the features stay in GPU memory as torch tensors (IO binding); else numpy.
        The ONNX run stops with Cancelled soon after `is_cancelled()` turns true (onnx_runtime.interruptible)."""
        import torch

        pixels, box = prepare_image(image, self.cfg.image_size)
        self.encoder_calls += 1
        if self.sessions is not None:
            session = self._encoder_session()
            if session.device_bound:
                tensors = session.run_bound({"pixel_values": pixels},
                                            device_outputs=[o.name for o in session.session.get_outputs()],
                                            is_cancelled=is_cancelled)
            else:
                tensors = session.run({"pixel_values": pixels}, is_cancelled)
            if self.low_memory:
                self.sessions = (None, self.sessions[1])
                gc.collect()
            release_free_heap()  # what the run freed but the C allocator would keep
        else:
            device = next(self.model.parameters()).device
            with torch.inference_mode():
                out = self.model.encode(torch.from_numpy(pixels).to(device))
            tensors = {k: v.float().cpu().numpy() for k, v in out.items()}
        return EncodedImage(tensors=tensors, letterbox=box, backend=self.backend)

    def encode_batch(self, images: Sequence[np.ndarray],
                     is_cancelled: Callable[[], bool] | None = None) -> list[EncodedImage]:
        """Features of several images. The exported encoder takes one image per run (Swin's window partition is
        traced at batch 1), so the runs go back to back; on CUDA their outputs stay on the device."""
        return [self.encode(image, is_cancelled) for image in images]

    def _prompt(self, task: str) -> list[int]:
        from segearth_engine.models.r1.prompt import build_prompt, tokenize_prompt

        if task not in TASKS:
            raise InputError(f"task {task!r} is not one of {', '.join(TASKS)}")
        if task not in self._prompt_ids:
            self._prompt_ids[task] = tokenize_prompt(self.tokenizer, build_prompt(task))
        return self._prompt_ids[task]

    def _llm_inputs(self, encoded: EncodedImage, question: str, task: str):
        """The LLM's input embeddings for one image and question, and the rows to pool ([1, tokens, hidden])."""
        import torch

        from segearth_engine.models.r1.prompt import assemble, refer_ids
        from segearth_engine.runtime.llm_precision import compute_dtype

        ids = self._prompt(task)
        question_ids = refer_ids(self.tokenizer, question, self.cfg.seg_token_id)
        llm = self._llm_model().llm
        device = llm.embed_tokens.weight.device
        dtype = compute_dtype(self.llm_precision)
        visual = _as_tensor(encoded.tensors["visual_tokens"])[0].to(device, dtype)

        def embed(token_ids):
            # The table may be stored in bf16 (exact for a bf16 checkpoint); the LLM computes in `dtype`.
            return llm.embed_tokens(torch.as_tensor(token_ids, dtype=torch.long, device=device)).to(dtype)

        return assemble(ids, embed, visual, question_ids)

    def pooled_description(self, encoded: EncodedImage, question: str, task: str = "reasoning"):
        """The LLM step: mean of the last hidden states over the question tokens and [SEG] -> [1, hidden].

        The question ends the prompt, so everything before it (system text, image tokens, instruction) is the same
        for every question on this image and task: its keys and values are computed once (`prepare_question`) and
        each question runs only its own tokens after them. Not for int8: its activations are quantised per call,
        so splitting the call would change the numbers (and measurably worsened the masks)."""
        import torch

        with torch.inference_mode():
            inputs_embeds, rows = self._llm_inputs(encoded, question, task)
            start = rows[0]
            if self.llm_precision != "int8" and rows == list(range(start, inputs_embeds.shape[1])):
                prefix = copy.deepcopy(self._prefix(encoded, task, inputs_embeds[:, :start]))
                positions = torch.arange(start, inputs_embeds.shape[1], device=inputs_embeds.device)[None]
                hidden = self._llm_model().llm(inputs_embeds=inputs_embeds[:, start:], position_ids=positions,
                                               cache=prefix, use_cache=True).last_hidden_state
                pooled = hidden[0].mean(dim=0, keepdim=True).float()
            else:
                pooled = self._llm_model().reason(inputs_embeds, rows).float()
        if self.low_memory:
            self.model = None
            gc.collect()
        return pooled

    def prepare_question(self, encoded: EncodedImage, task: str = "reasoning") -> None:
        """Compute before the question is known what every question on `encoded` and `task` shares (the prompt's
        prefix in the LLM; pooled_description): a warm-up then leaves only the question's own tokens to run."""
        import torch

        if self.llm_precision == "int8":
            return
        with torch.inference_mode():
            # any placeholder question: the prompt ends with it, so nothing before its first row depends on it
            inputs_embeds, rows = self._llm_inputs(encoded, "prefix", task)
            self._prefix(encoded, task, inputs_embeds[:, :rows[0]])
        if self.low_memory:
            self.model = None
            gc.collect()

    def _prefix(self, encoded: EncodedImage, task: str, prefix_embeds):
        """The LLM's key/value cache of the prompt before the question, kept with `encoded` (computed once): the
        text before the image tokens (the system text, the same for every view) continued with the view's own
        rows (image tokens and instruction)."""
        import torch

        from segearth_engine.models.r1.prompt import IMAGE_ID

        key = (task, self.llm_precision, str(prefix_embeds.device), prefix_embeds.shape[1])
        if key not in encoded.llm_prefix:
            head = self._prompt(task).index(IMAGE_ID)  # text tokens before the image: one row each
            cache = copy.deepcopy(self._head(task, prefix_embeds[:, :head]))
            positions = torch.arange(head, prefix_embeds.shape[1], device=prefix_embeds.device)[None]
            out = self._llm_model().llm(inputs_embeds=prefix_embeds[:, head:], position_ids=positions, cache=cache,
                                        use_cache=True)
            llm = self.cfg.llm  # keys and values of every layer, as wide as the hidden size, in the compute dtype
            size = 2 * llm.num_hidden_layers * prefix_embeds.shape[1] * llm.hidden_size * prefix_embeds.element_size()
            encoded.llm_prefix[key] = (out.cache, size)
        return encoded.llm_prefix[key][0]

    def _head(self, task: str, head_embeds):
        """The LLM's key/value cache of the prompt's text before the image tokens, computed once per model: it
        depends on no view, so later views' prefixes start after it."""
        import torch
        from transformers import DynamicCache

        key = (tuple(self._prompt(task)[:head_embeds.shape[1]]), self.llm_precision, str(head_embeds.device))
        if key not in self._heads:
            positions = torch.arange(head_embeds.shape[1], device=head_embeds.device)[None]
            self._heads[key] = self._llm_model().llm(inputs_embeds=head_embeds, position_ids=positions,
                                                     cache=DynamicCache(), use_cache=True).cache
        return self._heads[key]

    def pooled_descriptions(self, encoded: Sequence[EncodedImage], question: str, task: str = "reasoning"):
        """The LLM step for several images and one question in one forward pass -> [N, hidden].

        Every prompt has the same length (same question, same number of image tokens), so no padding is needed.
        int8 dynamic quantisation scales activations over the whole batch, which would make a tile's answer depend
        on its neighbours: that variant (and a single image) runs one image at a time."""
        import torch

        if len(encoded) == 1 or self.llm_precision == "int8":
            return torch.cat([self.pooled_description(e, question, task) for e in encoded])
        with torch.inference_mode():
            pairs = [self._llm_inputs(e, question, task) for e in encoded]
            rows = pairs[0][1]
            batch = torch.cat([embeds for embeds, _ in pairs])
            llm = self._llm_model().llm
            positions = torch.arange(batch.shape[1], device=batch.device)[None].expand(batch.shape[0], -1)
            hidden = llm(inputs_embeds=batch, position_ids=positions).last_hidden_state
            pooled = hidden[:, rows].mean(dim=1).float()
        if self.low_memory:
            self.model = None
            gc.collect()
        return pooled

    def segment(self, encoded: EncodedImage, question: str, task: str = "reasoning") -> MaskPrediction:
        """One question about an encoded image -> logits and mask at the image's own size."""
        start = time.perf_counter()
        pooled = _synchronised(self.pooled_description(encoded, question, task))
        after_llm = time.perf_counter()
        prediction = self._decode(encoded, pooled, after_llm - start)
        release_free_heap()  # the LLM's activations, freed but kept by the C allocator (~0.6 GB at full size)
        return prediction

    def segment_batch(self, encoded: Sequence[EncodedImage], question: str,
                      task: str = "reasoning") -> list[MaskPrediction]:
        """One question about several encoded images (tiles): one LLM pass for all, then one decoder run each."""
        if not encoded:
            return []
        start = time.perf_counter()
        pooled = _synchronised(self.pooled_descriptions(encoded, question, task))
        llm_share = (time.perf_counter() - start) / len(encoded)
        predictions = [self._decode(e, pooled[i:i + 1], llm_share) for i, e in enumerate(encoded)]
        release_free_heap()
        return predictions

    def _decode(self, encoded: EncodedImage, pooled, llm_seconds: float) -> MaskPrediction:
        import torch

        start = time.perf_counter()
        names = ("res5", "ms0", "ms1", "ms2", "mask_features")
        if self.sessions is not None:
            decoder = self.sessions[1]
            if decoder.device_bound:  # features (and pooled) read where they are; only the canvas comes back
                feeds = {"pooled": pooled, **{n: encoded.tensors[n] for n in names}}
                canvas = decoder.run_bound(feeds)["canvas_logits"]
            else:
                tensors = encoded.to_host().tensors
                feeds = {"pooled": pooled.cpu().numpy(), **{n: tensors[n] for n in names}}
                canvas = decoder.run(feeds)["canvas_logits"]
        else:
            device = pooled.device
            with torch.inference_mode():
                canvas = self.model.decode(pooled, *(_as_tensor(encoded.tensors[n]).to(device) for n in names))
            canvas = canvas.float().cpu().numpy()
        logits, mask = unletterbox(canvas[0, 0], encoded.letterbox)
        end = time.perf_counter()
        return MaskPrediction(logits=logits, mask=mask, timings={"llm": llm_seconds, "decoder": end - start},
                              canvas_logits=canvas[0, 0])

    # -- out of GPU memory -----------------------------------------------------------------------------------------
    @property
    def on_cuda(self) -> bool:
        return self.device.startswith("CUDA")

    def feature_nbytes(self) -> int:
        """Bytes of one image's encoder outputs (fp32), from the encoder graph's output shapes; 0 when unknown."""
        if self.sessions is None or self.sessions[0] is None:
            return 0
        total = 0
        for output in self.sessions[0].session.get_outputs():
            if not all(isinstance(d, int) for d in output.shape):
                return 0
            total += 4 * int(np.prod(output.shape))
        return total

    def to_cpu(self) -> None:
        """Run on the CPU from now on (after the GPU ran out of memory): CPU sessions and a CPU LLM (precision
        chosen as `auto` would on this CPU). Slow, but the run goes on instead of failing."""
        import torch

        from segearth_engine.models.r1.prepared_llm import load_llm
        from segearth_engine.runtime.gpu_memory import release_cached_memory
        from segearth_engine.runtime.llm_precision import choose_precision

        if not self.on_cuda:
            return
        self.model = None if self.backend == "onnx" else self.model
        self.sessions = None if self.backend == "onnx" else self.sessions
        release_cached_memory()
        if self.backend == "torch":
            self.model = self.model.to("cpu", torch.float32)
            self.llm_precision = "fp32"
            self.device = "CPU (PyTorch eager; LLM fp32; moved from CUDA: out of GPU memory)"
            return
        from segearth_engine.runtime.onnx_runtime import describe_device

        self.sessions, provider, self._graph_dir = self._open_graphs(self.model_dir, "cpu", self._graph_dir)
        self._onnx_device = "cpu"
        choice = choose_precision("auto", False, low_memory=self.low_memory)
        self.llm_precision = choice.precision
        if not self.low_memory:
            self.model = load_llm(self.model_dir, choice.precision, "cpu", store=self._graph_dir)
            self.llm_loads += 1
        self.device = describe_device(provider, f"LLM {choice.label}; moved from CUDA: out of GPU memory")


def _synchronised(pooled):
    """Wait for the LLM's kernels on the GPU: the decoder (ONNX Runtime, its own stream) must wait for them anyway,
    and waiting here makes the LLM's timing its own instead of the decoder's. Nothing to wait for on the CPU."""
    if getattr(pooled, "is_cuda", False):
        import torch

        torch.cuda.current_stream(pooled.device).synchronize()
    return pooled


def _as_tensor(value):
    """A torch tensor for a feature held as numpy (host) or already as a torch tensor (GPU)."""
    import torch

    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value
