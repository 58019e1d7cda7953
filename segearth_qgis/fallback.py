"""A stand-in plugin used when the real UI cannot import, so QGIS loads cleanly and tells the user why."""

from __future__ import annotations


class FallbackPlugin:
    """Shows one message-bar error naming the missing module and the pip command; adds nothing else."""

    def __init__(self, iface, error: BaseException) -> None:
        self.iface = iface
        self.error = error

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        from .dependencies import install_hint

        name = getattr(self.error, "name", None) or str(self.error)
        self.iface.messageBar().pushCritical(
            "SegEarth", f"SegEarth cannot start: {self.error}. Install it with: {install_hint([name])}")

    def unload(self) -> None:
        pass
