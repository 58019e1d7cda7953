"""Processing provider with one algorithm, "Segment raster by question", sharing the engine with the dock."""

from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsFields,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingProvider,
    QgsWkbTypes,
)
from qtpy.QtGui import QIcon

from ..common.paths import resource
from ..common.translation import tr
from ..model.model_manager import ModelHolder, inspect_model_dir
from ..results.answers import format_answer
from ..results.layers import fields_for, qgs_features
from ..running.engine_run import mode_refusal, run_engine
from ..running.question_language import language_note
from ..running.request import MODES, TASKS, PluginRequest
from .output import check_destination, write_features


def _multipolygon():
    kind = getattr(Qgis, "WkbType", None)  # QGIS >= 3.30 (and 4)
    return kind.MultiPolygon if kind is not None else QgsWkbTypes.Type.MultiPolygon


class SegmentByQuestion(QgsProcessingAlgorithm):
    INPUT, QUESTION, TASK, MODE = "INPUT", "QUESTION", "TASK", "MODE"
    MODEL, EXTENT, OUTPUT = "MODEL", "EXTENT", "OUTPUT"

    def __init__(self, holder: ModelHolder | None = None) -> None:
        super().__init__()
        self.holder = holder or ModelHolder()

    def name(self) -> str:
        return "segmentbyquestion"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return tr("Segment raster by question")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr("Asks SegEarth-R1 or SegEarth-R2 a question about a raster and writes the answer as polygons in "
                  "the raster's CRS. SegEarth-R2 can name several targets: each polygon then carries its target's "
                  "phrase (target) and number (target_idx), and the text answer is shown in the log.")

    def icon(self) -> QIcon:
        return QIcon(resource("icon.svg"))

    def createInstance(self):  # noqa: N802
        return SegmentByQuestion(self.holder)

    def initAlgorithm(self, config=None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, tr("Raster layer")))
        self.addParameter(QgsProcessingParameterString(self.QUESTION, tr("Question"), multiLine=True))
        self.addParameter(QgsProcessingParameterEnum(self.TASK, tr("Task"), options=list(TASKS), defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(self.MODE, tr("Mode"), options=list(MODES), defaultValue=0))
        self.addParameter(QgsProcessingParameterFile(self.MODEL, tr("Model folder"),
                                                     behavior=QgsProcessingParameterFile.Behavior.Folder))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, tr("Extent"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, tr("Answer polygons")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..running.qgis_source import QgisRasterSource

        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        request = self._request(parameters, context, layer)
        check_destination(self, parameters, self.OUTPUT, context)  # before the model runs, not after
        info = inspect_model_dir(request.model_dir)
        if info.state not in ("ok", "test"):
            raise QgsProcessingException(info.message)
        if info.state == "test":
            feedback.pushWarning(info.message)  # random weights: never presented as a working segmenter
        refusal = mode_refusal(info, request.mode)
        if refusal:
            raise QgsProcessingException(refusal)
        try:
            source = QgisRasterSource(layer)
        except Exception as exc:  # noqa: BLE001 - the engine's InputError, or the provider failing to open
            raise QgsProcessingException(str(exc)) from exc
        outcome = run_engine(request, source, self.holder,
                             progress=lambda fraction, stage="": feedback.setProgress(100.0 * fraction),
                             is_cancelled=feedback.isCanceled,
                             on_loaded=lambda seg: feedback.pushInfo(tr("Model {} on {}").format(seg.model_id,
                                                                                                 seg.device)))
        if outcome.cancelled:
            raise QgsProcessingException(tr("Cancelled; nothing was added"))
        if outcome.error:
            raise QgsProcessingException(outcome.error)
        result = outcome.result
        answer = result.answer  # multi-target models (SegEarth-R2) only
        if answer is not None:
            feedback.pushInfo(tr("Model's answer: {}").format(format_answer(answer)))
        note = language_note(request.question)
        if note:
            feedback.pushWarning(note)
        fields = QgsFields()
        for field in fields_for((attrs for _, attrs in result.features), multi_target=answer is not None):
            fields.append(field)
        features = qgs_features(result.features, fields, feedback.isCanceled)
        if feedback.isCanceled():
            raise QgsProcessingException(tr("Cancelled; nothing was added"))
        dest_id = write_features(self, parameters, self.OUTPUT, context, fields, _multipolygon(), layer.crs(), features)
        return {self.OUTPUT: dest_id}

    def _request(self, parameters, context, layer) -> PluginRequest:
        """The frozen request the dock would make from these parameters."""
        from ..map_tools.extent import as_tuple, layer_extent_from

        question = " ".join(self.parameterAsString(parameters, self.QUESTION, context).split())
        if layer is None or not question:
            raise QgsProcessingException(tr("A raster layer and a question are required"))
        extent = None
        if parameters.get(self.EXTENT):
            rect = layer_extent_from(self.parameterAsExtent(parameters, self.EXTENT, context, layer.crs()),
                                     layer.crs(), layer)  # clipped to the layer and snapped to its pixels
            if rect is None:
                raise QgsProcessingException(tr("The rectangle does not overlap the layer"))
            extent = as_tuple(rect)
        return PluginRequest(layer_id=layer.id(), question=question,
                             model_dir=self.parameterAsFile(parameters, self.MODEL, context),
                             task=TASKS[self.parameterAsEnum(parameters, self.TASK, context)],
                             mode=MODES[self.parameterAsEnum(parameters, self.MODE, context)], extent=extent)


class SegEarthProvider(QgsProcessingProvider):
    def __init__(self, holder: ModelHolder | None = None) -> None:
        super().__init__()
        self.holder = holder

    def id(self) -> str:
        return "segearth"

    def name(self) -> str:
        return "SegEarth"

    def icon(self) -> QIcon:
        return QIcon(resource("icon.svg"))

    def loadAlgorithms(self) -> None:  # noqa: N802 - QGIS API
        self.addAlgorithm(SegmentByQuestion(self.holder))
        from .question_set_algorithm import AnswerQuestionSet  # issue 17
        from .score_algorithm import ScoreAgainstReference

        self.addAlgorithm(ScoreAgainstReference())
        self.addAlgorithm(AnswerQuestionSet(self.holder))
