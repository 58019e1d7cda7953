"""What a background job was asked on (the project, a raster layer) and the moment that goes away.

Why: QgsProject.instance() is one object for every project QGIS opens, so a question started in one project and
finished after File > New (or Open) would add its answer to the next project, and a question whose raster was removed
would run on for minutes and then add a layer for it. Each job holds a Claim: the project's generation (bumped when the
project is closed or cleared) and its layer. The watch calls the claim's `on_lost(reason)` once, at the moment either
goes, so the job can cancel itself; `lost()` tells a job that finished anyway whether it may still add its answer.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsProject

from ..common.translation import tr


def project_closed_reason() -> str:
    return tr("the project was closed (a new or another project was opened)")


def layer_removed_reason(name: str) -> str:
    return tr("the raster layer {} was removed from the project").format(name)


class Claim:
    """One job's hold on a project generation and (optionally) a layer of it."""

    def __init__(self, watch: ProjectWatch, layer_id: str | None, layer_name: str,
                 on_lost: Callable[[str], None] | None) -> None:
        self.watch, self.layer_id, self.layer_name, self.on_lost = watch, layer_id, layer_name, on_lost
        self.generation = watch.generation
        self.reason: str | None = None

    def lost(self) -> str | None:
        """Why the job's answer must not be added (the project changed, the layer is gone), or None."""
        if self.reason is None and self.generation != self.watch.generation:
            self.reason = project_closed_reason()
        if self.reason is None and self.layer_id and self.watch.project.mapLayer(self.layer_id) is None:
            self.reason = layer_removed_reason(self.layer_name)
        return self.reason

    def _lose(self, reason: str) -> None:
        if self.reason is not None:
            return
        self.reason = reason
        if self.on_lost is not None:
            self.on_lost(reason)

    def release(self) -> None:
        """The job is over: it is told nothing more."""
        self.on_lost = None
        self.watch.release(self)


class ProjectWatch:
    """Follows QGIS's one project: closing or clearing it (File > New, Open, Close) and removing layers."""

    def __init__(self, project: QgsProject | None = None) -> None:
        self.project = project or QgsProject.instance()
        self.generation = 0
        self.claims: list[Claim] = []
        # removeAll comes first when a project closes (before its layers go), cleared at the end
        self._connections = [(self.project.removeAll, self._project_closed),
                             (self.project.cleared, self._project_closed),
                             (self.project.layersWillBeRemoved, self._layers_removed)]
        for signal, slot in self._connections:
            signal.connect(slot)

    def claim(self, layer_id: str | None = None, on_lost: Callable[[str], None] | None = None) -> Claim:
        """A claim on the current project and `layer_id` (None: the project only)."""
        layer = self.project.mapLayer(layer_id) if layer_id else None
        claim = Claim(self, layer_id, layer.name() if layer is not None else str(layer_id or ""), on_lost)
        self.claims.append(claim)
        return claim

    def release(self, claim: Claim) -> None:
        if claim in self.claims:
            self.claims.remove(claim)

    def close(self) -> None:
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self.claims.clear()

    def _project_closed(self) -> None:
        self.generation += 1
        for claim in list(self.claims):
            claim._lose(project_closed_reason())

    def _layers_removed(self, layer_ids) -> None:
        gone = set(layer_ids)
        for claim in list(self.claims):
            if claim.layer_id in gone:
                claim._lose(layer_removed_reason(claim.layer_name))
