"""Hand freed heap memory back to the system after the big transient steps: loading, encoding, a question.

Why: glibc keeps freed blocks below its mmap threshold (which it raises up to 32 MB as large blocks are freed) in
the process's heaps. After the int8 LLM's load (each linear quantised from a float copy that is then freed) and
after each encoder run, 0.4-0.5 GB of such free memory stayed resident and counted in the peak of the next step.
`malloc_trim(0)` returns it (free pages anywhere in the heaps, not only at the top). Elsewhere it is a no-op.
"""

from __future__ import annotations

import ctypes
import functools
import logging

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, macOS, Windows)
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim.argtypes = [ctypes.c_size_t]
        trim.restype = ctypes.c_int
    return trim


def release_free_heap() -> bool:
    """Return the heaps' free pages to the system; False where the C library cannot (nothing to do there)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
