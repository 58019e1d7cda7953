"""The start-up choice of the LLM precision: what "auto" picks for a CPU, and what is refused with a reason."""

from __future__ import annotations

import platform

import pytest
import torch

from segearth_engine.errors import InputError
from segearth_engine.runtime.llm_precision import AUTO_ORDER, LOW_MEMORY_ORDER, choose_precision, native_bf16, supported

X86 = platform.machine().lower() in ("x86_64", "amd64")
INT8_X86 = X86 and bool({"x86", "fbgemm"} & set(torch.backends.quantized.supported_engines))


def test_plain_cpu_falls_back_to_fp32():
    if not X86:
        pytest.skip("the flag sets below are x86 flags")
    choice = choose_precision("auto", flags=frozenset({"sse4_2"}))
    assert (choice.precision, choice.reason) == ("fp32", "auto")


@pytest.mark.skipif(not INT8_X86, reason="needs an x86 torch build with the fbgemm/x86 quantised engine")
def test_auto_is_exact_fp32_but_a_request_for_another_precision_is_kept():
    # int8 and bf16 left AUTO_ORDER (their full-size masks missed the 0.99 IoU bound): auto is exact fp32, on a
    # plain AVX2 CPU as on one with native bf16
    assert AUTO_ORDER == ("fp32",)
    for flags in ({"avx2", "fma"}, {"avx2", "avx512_bf16", "amx_bf16"}):
        assert choose_precision("auto", flags=frozenset(flags)).precision == "fp32"
        assert choose_precision("auto", flags=frozenset(flags), low_memory=True).precision == "fp32"
    assert choose_precision("int8", flags=frozenset({"avx2", "fma"})).precision == "int8"
    assert choose_precision("bf16", flags=frozenset({"avx2", "avx512_bf16"})).precision == "bf16"
    assert choose_precision("int8", flags=frozenset({"avx2", "avx512_bf16"}), low_memory=True).precision == "int8"
    assert choose_precision("auto", flags=frozenset({"sse4_2"}), low_memory=True).precision == "fp32"


def test_low_memory_order_keeps_the_fidelity_rules():
    # Same variants as AUTO_ORDER (so a variant dropped there for fidelity is dropped here too), bf16 first.
    assert sorted(LOW_MEMORY_ORDER) == sorted(AUTO_ORDER)
    assert "bf16" not in AUTO_ORDER or LOW_MEMORY_ORDER[0] == "bf16"
    assert [p for p in LOW_MEMORY_ORDER if p != "bf16"] == [p for p in AUTO_ORDER if p != "bf16"]
    assert choose_precision("auto", cuda=True, low_memory=True, cuda_bf16=False).precision == "fp32"


def test_native_bf16_is_detected():
    assert native_bf16(frozenset({"amx_bf16", "avx512_bf16"})) == "amx_bf16"
    assert native_bf16(frozenset({"avx2"})) is None
    if X86:
        assert supported("bf16", frozenset({"avx512_bf16"})) is None


def test_explicit_choice_is_kept_or_refused_with_a_reason():
    assert choose_precision("fp32", flags=frozenset()).precision == "fp32"
    with pytest.raises(InputError, match="native bf16"):
        choose_precision("bf16", flags=frozenset({"avx2"}))
    if X86:
        with pytest.raises(InputError, match="int8"):
            choose_precision("int8", flags=frozenset({"sse4_2"}))
    with pytest.raises(InputError, match="not one of"):
        choose_precision("fp8")


def test_cuda_keeps_fp32_and_refuses_int8():
    assert choose_precision("auto", cuda=True, cuda_bf16=False).precision == "fp32"
    assert choose_precision("bf16", cuda=True).precision == "bf16"
    with pytest.raises(InputError, match="CPU variant"):
        choose_precision("int8", cuda=True)


def test_this_machine_auto_choice_is_supported_here():
    choice = choose_precision("auto")
    assert supported(choice.precision) is None
    assert choice.label.startswith(choice.precision if choice.precision != "int8" else "int8 dynamic")
