"""QGIS's message bar under the plugin's name: how every room tells the user what happened."""

from __future__ import annotations

from .translation import tr


class MessageBar:
    """`message(text, level)`: level is info, success, warning or critical."""

    def __init__(self, iface) -> None:
        self.iface = iface

    def __call__(self, text: str, level: str = "info", duration: int = 8) -> None:
        bar = self.iface.messageBar()
        push = {"info": bar.pushInfo, "success": bar.pushSuccess, "warning": bar.pushWarning,
                "critical": bar.pushCritical}[level]
        push(tr("SegEarth"), text)
