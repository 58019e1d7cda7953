"""The CLI's progress line for cluster runs: tiles resolved / total, failures and tiles per second (tqdm, stderr)."""

from __future__ import annotations


class TileBar:
    """Callable matching runner.Progress; a no-op when disabled (--quiet)."""

    def __init__(self, enabled: bool = True) -> None:
        self._bar = None
        self._enabled = enabled

    def __call__(self, resolved: int, total: int, failed: int, rate: float) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=resolved, unit="tile", desc="tiles", dynamic_ncols=True)
        self._bar.set_postfix_str(f"{rate:.2f} tiles/s" + (f", {failed} failed" if failed else ""), refresh=False)
        self._bar.update(resolved - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
