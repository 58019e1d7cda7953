"""The dock's past questions on the current layer: a click asks one again, with the task it was asked with. A mixin
of SegEarthDock (dock_widget.py)."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..common.translation import tr


class QuestionHistory:
    """Questions per layer id, newest first, each with its task."""

    def _build_history(self, body: QWidget, outer: QVBoxLayout) -> None:
        self._history: dict[str, list[tuple[str, str]]] = {}  # layer id -> (question, task), newest first
        history_label = QLabel(tr("Past questions on this layer (click to run again)"), body)
        history_label.setWordWrap(True)
        outer.addWidget(history_label)
        self.history = QListWidget(body)
        self.history.setMaximumHeight(110)
        self.history.itemClicked.connect(self._history_clicked)
        outer.addWidget(self.history)

    def add_history(self, layer_id: str, question: str, task: str = "reasoning") -> None:
        """Remember a finished question (with its task, so that a click re-runs exactly that) for this layer."""
        entries = self._history.setdefault(layer_id, [])
        if (question, task) in entries:
            entries.remove((question, task))
        entries.insert(0, (question, task))
        self._refresh_history()

    def history_for(self, layer_id: str) -> list[str]:
        return [question for question, _ in self._history.get(layer_id, [])]

    def _refresh_history(self) -> None:
        self.history.clear()
        layer = self.current_layer()
        for question, task in self._history.get(layer.id(), []) if layer is not None else []:
            item = QListWidgetItem(question)
            item.setData(Qt.ItemDataRole.UserRole, task)
            item.setToolTip(self.task_combo.itemText(max(0, self.task_combo.findData(task))))
            self.history.addItem(item)

    def _history_clicked(self, item: QListWidgetItem) -> None:
        self.question.setPlainText(item.text())
        index = self.task_combo.findData(item.data(Qt.ItemDataRole.UserRole))
        if index >= 0:
            self.task_combo.setCurrentIndex(index)
        self.request_run()
