"""`make bench`: every benchmark module in turn, each printing its own table. Figures, not pass/fail."""

from __future__ import annotations

import importlib
import sys
import time

MODULES = ("benchmarks.bench_model", "benchmarks.bench_cpu", "benchmarks.bench_llm_kernels",
           "benchmarks.bench_llm_fidelity",
           "benchmarks.bench_first_answer", "benchmarks.bench_gpu", "benchmarks.bench_pipeline",
           "benchmarks.bench_distributed", "benchmarks.bench_download")


def main() -> int:
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}")
            continue
        start = time.perf_counter()
        print(f"\n=== {name} ===", flush=True)
        module.main()
        print(f"[{name}] done in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
