"""The LLM's runtime precision: what this machine can run well and the choice made at start-up (the loading in
each precision is the model family's: models/r1/loading.load_llm).

Why: Phi-1.5 is 1.3 B parameters of the 1.59 B. In fp32 it needs 5.2 GB and ~400 GFLOP per question, the largest
cost once the encoder is cached. On a CPU the choice is:
- "int8": dynamic quantisation of the Phi linear layers (int8 weights per output channel, activations quantised per
  call), through torch's fbgemm/oneDNN kernels (VNNI where present); ~1.4 GB; attention, norms and the rest in fp32.
- "bf16": only where the CPU computes bf16 natively (avx512_bf16 / amx_bf16 on x86, the bf16 feature on ARM);
  elsewhere it is emulated and slower than fp32, so it is refused.
- "fp32": the reference. On the CPU its linear weights stay bf16 as released (memory-mapped from the prepared bf16
  copy, 2.6 GB) and are widened per call, a cache-sized tile at a time for a question's few rows
  (runtime/widened_linear.py): the numbers of weights widened at load.
Not offered: int8 weights with fp32 activations (per output channel, or per block of 32-128 inputs; torch's
aten._weight_int8pack_mm, ONNX Runtime's MatMulNBits). At full size their masks reached IoU 0.61-0.92 of fp32
(benchmarks/bench_llm_fidelity.py), below the 0.99 bound, and neither kernel is faster than fp32 here.
The embedding table stays in bf16 in every variant: its rows are looked up, not multiplied, and bf16 -> fp32 is exact;
it is memory-mapped from the checkpoint, so only the rows of the prompt's tokens are ever resident (no fp32 copy, no
bf16 copy: ~200 MB). In bf16 the layers are mapped too (all but the split qkv), so loading copies little. "auto" takes
the first supported variant of `AUTO_ORDER`; a variant enters `AUTO_ORDER` only while its masks stay within
`FIDELITY_BOUNDS` of fp32 PyTorch (asserted on the tiny model by tests/engine/test_cpu_fidelity.py, measured at full
size over several questions by benchmarks/bench_llm_fidelity.py). In low-memory mode the LLM is loaded again for
every question, so there "auto" puts a native bf16 first (`LOW_MEMORY_ORDER`: the same variants, so the same fidelity
rules); bf16 and the CPU's fp32 both map the stored bf16 copy (prepared_llm.py), so a reload is a mapping.
"""

from __future__ import annotations

import functools
import logging
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING

from segearth_engine.errors import InputError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "int8")
# Minimum mask IoU against fp32 PyTorch on the same weights and inputs (0.99: every question of the fidelity bench).
FIDELITY_BOUNDS = {"fp32": 0.999, "bf16": 0.99, "int8": 0.99}
# Least memory and time first. Remove a variant here if its fidelity figures miss its bound; a variant missing here
# stays available when asked for by name.
# int8 is out: at full size (random weights) its masks reached IoU 0.87-0.99 of fp32 over six questions
# (bench_llm_fidelity, 2026-12-03). bf16 is out: on an AMX Xeon its linears alone (bf16 activations, fp32
# accumulation) moved the pooled description by 0.2-0.4 % and the masks to IoU 0.95 (2026-12-07).
AUTO_ORDER: tuple[str, ...] = ("fp32",)
# Low memory: bf16 loads as stored (no per-load quantisation), so it goes first when AUTO_ORDER offers it.
LOW_MEMORY_ORDER = tuple(sorted(AUTO_ORDER, key=lambda precision: precision != "bf16"))
LABELS = {"fp32": "fp32", "bf16": "bf16", "int8": "int8 dynamic"}


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """Feature flags of the first CPU in /proc/cpuinfo ("flags" on x86, "Features" on ARM); empty elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def native_bf16(flags: frozenset[str] | None = None) -> str | None:
    """The flag that gives native bf16 matrix maths on this CPU, or None."""
    flags = cpu_flags() if flags is None else flags
    for flag in ("amx_bf16", "avx512_bf16", "bf16"):
        if flag in flags:
            return flag
    return None


def int8_engine(flags: frozenset[str] | None = None) -> str | None:
    """The torch quantised engine to use for dynamic int8 linears, or None when there is no fast one."""
    import torch

    flags = cpu_flags() if flags is None else flags
    engines = torch.backends.quantized.supported_engines
    if platform.machine().lower() in ("x86_64", "amd64"):
        if "avx2" not in flags:  # fbgemm needs AVX2; without it int8 falls back to slow reference kernels
            return None
        return next((e for e in ("x86", "fbgemm") if e in engines), None)
    return "qnnpack" if "qnnpack" in engines else None


def supported(precision: str, flags: frozenset[str] | None = None) -> str | None:
    """None when `precision` runs well on this CPU, else why not (a sentence)."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        if native_bf16(flags):
            return None
        return "this CPU has no native bf16 (avx512_bf16/amx_bf16): it would be emulated, slower than fp32"
    if precision == "int8":
        if int8_engine(flags):
            return None
        return "this CPU/torch build has no fast int8 kernels (fbgemm with AVX2, or qnnpack)"
    raise InputError(f"llm_precision {precision!r} is not one of {', '.join(PRECISIONS)}")


@dataclass(frozen=True)
class PrecisionChoice:
    precision: str
    reason: str

    @property
    def label(self) -> str:
        flag = native_bf16() if self.precision == "bf16" else None
        return LABELS[self.precision] + (f" ({flag})" if flag else "")


def cuda_bf16_supported() -> bool:
    """True when CUDA device 0 computes bf16 natively (Ampere and newer: tensor cores, fp32 accumulation)."""
    try:
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False))
    except Exception:  # noqa: BLE001 - no torch/CUDA, or a build without the keyword: no native bf16 claimed
        return False


def choose_precision(requested: str = "auto", cuda: bool = False, flags: frozenset[str] | None = None,
                     low_memory: bool = False, cuda_bf16: bool | None = None) -> PrecisionChoice:
    """The LLM precision for this machine: `requested` if it runs well here, or the first good one of AUTO_ORDER
    (LOW_MEMORY_ORDER when the LLM is reloaded for every question).

    On CUDA "auto" is bf16 where the GPU has native bf16 (`cuda_bf16`, asked of the device when None) and bf16 is in
    AUTO_ORDER (the same fidelity rule as on the CPU), else fp32; int8 is a CPU-only variant."""
    if requested not in PRECISIONS:
        raise InputError(f"llm_precision {requested!r} is not one of {', '.join(PRECISIONS)}")
    if cuda:
        if requested == "int8":
            raise InputError("llm_precision 'int8' is a CPU variant (dynamic quantisation); use fp32 or bf16 on CUDA")
        native = cuda_bf16_supported() if cuda_bf16 is None else cuda_bf16
        if requested == "auto":
            if "bf16" in AUTO_ORDER and native:
                return PrecisionChoice("bf16", "auto, CUDA with native bf16")
            return PrecisionChoice("fp32", "auto, CUDA" + ("" if native else " without native bf16"))
        return PrecisionChoice(requested, "CUDA, asked for")
    if requested != "auto":
        why_not = supported(requested, flags)
        if why_not:
            raise InputError(f"llm_precision {requested!r} is not offered here: {why_not}")
        return PrecisionChoice(requested, "asked for")
    for precision in LOW_MEMORY_ORDER if low_memory else AUTO_ORDER:
        why_not = supported(precision, flags)
        if why_not is None:
            return PrecisionChoice(precision, "auto, low memory" if low_memory else "auto")
        log.info("LLM precision %s skipped: %s", precision, why_not)
    return PrecisionChoice("fp32", "auto")


def compute_dtype(precision: str) -> torch.dtype:
    """dtype of the LLM's activations (what its inputs_embeds must be)."""
    import torch

    return torch.bfloat16 if precision == "bf16" else torch.float32
