"""The CUDA tests' skip marker: they run only where the CUDA path can really run (onnx_runtime.cuda_unavailable)."""

from __future__ import annotations

import pytest

from segearth_engine.runtime.onnx_runtime import cuda_unavailable

REASON = cuda_unavailable()
needs_cuda = pytest.mark.skipif(REASON is not None, reason=f"needs a CUDA GPU: {REASON} (CI never has one)")
