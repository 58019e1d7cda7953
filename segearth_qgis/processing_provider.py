"""Processing provider with one algorithm, "Segment raster by question", sharing the engine with the dock."""

from __future__ import annotations

from qgis.core import (
    Qgis,
    QgsFeature,
    QgsFeatureSink,
    QgsFields,
    QgsGeometry,
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

from .answers import format_answer
from .layers import _plain, fields_for
from .model_manager import ModelHolder, inspect_model_dir
from .paths import resource
from .request import MODES, TASKS, PluginRequest
from .translation import tr


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
        from .dependencies import EngineUnavailable, load_engine
        from .extent import as_tuple, layer_extent_from
        from .qgis_source import QgisRasterSource

        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
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
        request = PluginRequest(layer_id=layer.id(), question=question,
                                model_dir=self.parameterAsFile(parameters, self.MODEL, context),
                                task=TASKS[self.parameterAsEnum(parameters, self.TASK, context)],
                                mode=MODES[self.parameterAsEnum(parameters, self.MODE, context)], extent=extent)
        info = inspect_model_dir(request.model_dir)
        if info.state not in ("ok", "test"):
            raise QgsProcessingException(info.message)
        if info.state == "test":
            feedback.pushWarning(info.message)  # random weights: never presented as a working segmenter
        try:
            segmenter_module, pipeline = load_engine()
            from segearth_engine.errors import SegEarthError

            source = QgisRasterSource(layer)
            segmenter = self.holder.get(request.model_dir, segmenter_module)
            feedback.pushInfo(tr("Model {} on {}").format(segmenter.model_id, segmenter.device))
            result = pipeline.segment_raster(
                source, segmenter, request.to_engine(pipeline),
                progress=lambda fraction, stage="": feedback.setProgress(100.0 * fraction),
                is_cancelled=feedback.isCanceled, cache=self.holder.cache())
        except EngineUnavailable as exc:
            raise QgsProcessingException(str(exc)) from exc
        except SegEarthError as exc:
            raise QgsProcessingException(str(exc)) from exc
        answer = getattr(result, "answer", None)  # multi-target models (SegEarth-R2) only
        if answer is not None:
            feedback.pushInfo(tr("Model's answer: {}").format(format_answer(answer)))
        fields = QgsFields()
        for field in fields_for((attrs for _, attrs in result.features), multi_target=answer is not None):
            fields.append(field)
        sink, dest_id = self.parameterAsSink(parameters, self.OUTPUT, context, fields, _multipolygon(), layer.crs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        names = fields.names()
        for geometry, attrs in result.features:
            if feedback.isCanceled():
                break
            feature = QgsFeature(fields)
            geom = QgsGeometry()
            geom.fromWkb(geometry.wkb)
            geom.convertToMultiType()
            feature.setGeometry(geom)
            feature.setAttributes([_plain(attrs.get(name)) for name in names])
            sink.addFeature(feature, QgsFeatureSink.Flag.FastInsert)
        return {self.OUTPUT: dest_id}


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
