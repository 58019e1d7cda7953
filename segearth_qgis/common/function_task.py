"""A QgsTask that runs one function in the background (scoring against a reference), its value or error reported
on the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsTask


class FunctionTask(QgsTask):
    """Runs `fn()` in the background (downloads, pip installs); `on_done(task)` gets `.value` or `.error`."""

    def __init__(self, description: str, fn: Callable[[], object],
                 on_done: Callable[[FunctionTask], None] | None = None) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.fn = fn
        self.on_done = on_done
        self.value = None
        self.error: str | None = None

    def run(self) -> bool:
        try:
            self.value = self.fn()
            return True
        except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
            self.error = str(exc) or type(exc).__name__
            return False

    def finished(self, ok: bool) -> None:
        if not ok and self.error is None:
            self.error = "cancelled"
        if self.on_done is not None:
            self.on_done(self)
