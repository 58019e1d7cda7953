"""A stand-in plugin used when the real UI cannot import, so QGIS loads cleanly and tells the user why."""

from __future__ import annotations


def _tr(text: str) -> str:
    """tr() without qtpy (qtpy may be exactly what is missing): QGIS's own PyQt wrapper, same context."""
    from qgis.PyQt.QtCore import QCoreApplication

    from .translation import CONTEXT

    return QCoreApplication.translate(CONTEXT, text)


class FallbackPlugin:
    """Shows one message-bar error naming the missing module and the pip command; adds nothing else."""

    def __init__(self, iface, error: BaseException) -> None:
        self.iface = iface
        self.error = error

    def initGui(self) -> None:  # noqa: N802 - QGIS API
        from .dependencies import install_hint

        name = getattr(self.error, "name", None) or str(self.error)
        self.iface.messageBar().pushCritical(
            _tr("SegEarth"), _tr("SegEarth cannot start: {}. Install it with: {}").format(self.error,
                                                                                          install_hint([name])))

    def unload(self) -> None:
        pass
