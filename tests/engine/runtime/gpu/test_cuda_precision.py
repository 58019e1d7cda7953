"""The LLM's precision on CUDA: bf16 where the GPU has it natively (and bf16 keeps its place in AUTO_ORDER, the
fidelity rule), else fp32; int8 stays a CPU variant."""

from __future__ import annotations

import pytest

from segearth_engine.errors import InputError
from segearth_engine.runtime.llm_precision import AUTO_ORDER, choose_precision, cuda_bf16_supported

from .cuda import needs_cuda


def test_auto_on_cuda_follows_native_bf16():
    expected = "bf16" if "bf16" in AUTO_ORDER else "fp32"
    assert choose_precision("auto", cuda=True, cuda_bf16=True).precision == expected
    assert choose_precision("auto", cuda=True, cuda_bf16=True, low_memory=True).precision == expected
    assert choose_precision("auto", cuda=True, cuda_bf16=False).precision == "fp32"
    assert choose_precision("fp32", cuda=True, cuda_bf16=True).precision == "fp32"
    assert choose_precision("bf16", cuda=True, cuda_bf16=False).precision == "bf16"  # asked for: kept
    with pytest.raises(InputError, match="CPU variant"):
        choose_precision("int8", cuda=True, cuda_bf16=True)


def test_without_cuda_no_native_bf16_is_claimed():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert cuda_bf16_supported() is False
    assert choose_precision("auto", cuda=True).precision == "fp32"


@needs_cuda
def test_this_gpu_auto_choice():
    import torch

    native = torch.cuda.is_bf16_supported(including_emulation=False)
    assert cuda_bf16_supported() == native
    assert choose_precision("auto", cuda=True).precision == ("bf16" if native and "bf16" in AUTO_ORDER else "fp32")
