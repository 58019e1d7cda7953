"""Small reusable widgets of the dock."""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QPlainTextEdit


class QuestionEdit(QPlainTextEdit):
    """Multi-line question box: Enter submits, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not (event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)
