"""release_free_heap really gives freed heap pages back (measured in a child process with a known heap state)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import numpy as np
    from segearth_engine.runtime.heap import release_free_heap

    def rss_mb():
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * 4096 / 2**20

    blocks = [np.ones(2**20 // 8) for _ in range(300)]  # 300 x 1 MB, all in the heap (threshold raised below)
    pinned = np.ones(2**20 // 8)  # allocated last: keeps the heap's top in use, so free() cannot shrink it
    del blocks
    before = rss_mb()
    assert release_free_heap()
    print(before - rss_mb())
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_heap_pages_go_back_to_the_system():
    # Blocks of 1 MB in the heap (not mmap) and no automatic trimming: the state the loader and the encoder leave.
    env = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    released_mb = float(out.stdout.strip().splitlines()[-1])
    assert released_mb > 200, f"only {released_mb:.0f} MB of 300 MB freed blocks went back"

