"""Processing algorithm "Answer a question set": a table (CSV or any vector layer) of rows with an extent and a
question -> one combined answer layer with the row id and, where references are given, per-row scores and gIoU/cIoU
over the set. The rows run through the engine's question_set (the same code as `segearth eval-questions`)."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFields,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExpression,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsRectangle,
)
from qtpy.QtGui import QIcon

from ..common.paths import resource
from ..common.translation import tr
from ..model.model_manager import ModelHolder, inspect_model_dir
from ..results.layers import _plain, fields_for
from ..results.scoring import qgs_feature, typed_fields
from ..running.request import MODES
from .output import write_features
from .score_algorithm import multipolygon_type

#: the per-row score table's fields, typed by example (names fit a Shapefile)
ROW_FIELDS = {"row_id": "", "question": "", "task": "", "status": "", "error": "", "polygons": 0, "seconds": 0.0,
              "iou": 0.0, "precision": 0.0, "recall": 0.0, "f1": 0.0, "answer_m2": 0.0, "reference_m2": 0.0,
              "matched": 0, "missed": 0, "false_alarms": 0}


def _value(value):
    """A QGIS attribute value as plain Python (NULL -> None)."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    return _plain(value)


def table_rows(source, fallback_crs: QgsCoordinateReferenceSystem, is_cancelled=None) -> list:
    """The engine's QuestionRows from a Processing feature source (a geometry gives the extent; without one the
    wkt or minx/miny/maxx/maxy columns do, in the table's CRS or else `fallback_crs`)."""
    from segearth_engine.api import row_from_record

    from ..common.crs import crs_wkt
    from ..results.scoring import to_shapely

    crs = source.sourceCrs() if source.sourceCrs().isValid() else fallback_crs
    wkt = crs_wkt(crs)
    names = source.fields().names()
    rows = []
    for number, feature in enumerate(source.getFeatures(), 1):
        if is_cancelled is not None and is_cancelled():
            break
        record = {name: _value(feature[name]) for name in names}
        geometry = feature.geometry()
        shape = to_shapely(geometry) if geometry is not None and not geometry.isEmpty() else None
        rows.append(row_from_record(number, record, shape, wkt))
    return rows


class QgisReferences:
    """The engine's `references(row, crs, region)` over a Processing feature source: the features touching the row's
    region that pass its ref_filter (a QGIS expression), else the default filter, in the raster's CRS."""

    def __init__(self, source, raster_crs: QgsCoordinateReferenceSystem, transform_context,
                 default_filter: str | None = None) -> None:
        self.source, self.crs, self.context, self.default_filter = source, raster_crs, transform_context, default_filter

    def __call__(self, row, crs_wkt: str, region) -> list[tuple[object, object]]:
        from segearth_engine.api import InputError

        from ..results.scoring import ScoringError, source_geometries

        rect = QgsRectangle(*region.bounds)
        try:
            return source_geometries(self.source, self.crs, self.context, rect,
                                     row.reference_filter or self.default_filter)
        except ScoringError as exc:
            raise InputError(str(exc)) from exc


class AnswerQuestionSet(QgsProcessingAlgorithm):
    RASTER, QUESTIONS, MODEL, MODE = "RASTER", "QUESTIONS", "MODEL", "MODE"
    REFERENCE, FILTER, MATCH_IOU = "REFERENCE", "REFERENCE_FILTER", "MATCH_IOU"
    OUTPUT, SCORES = "OUTPUT", "SCORES"

    def __init__(self, holder: ModelHolder | None = None) -> None:
        super().__init__()
        self.holder = holder or ModelHolder()

    def name(self) -> str:
        return "answerquestionset"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return tr("Answer a question set")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr("Asks every row of a table (CSV or any vector layer) its question on the raster: columns id, "
                  "question, task (reasoning or referring), ref_filter (a filter expression on the reference "
                  "layer), and the extent as the row's geometry, a wkt column or minx, miny, maxx, maxy (in the "
                  "table's CRS, else the raster's). All answers go to one layer with the row id. With reference "
                  "polygons each row is scored inside its extent (IoU, precision, recall, F1, matched / missed / "
                  "false alarms) and gIoU / cIoU are given over the scored rows. Rows on the same extent share one "
                  "encoding; a row that fails is reported and skipped.")

    def icon(self) -> QIcon:
        return QIcon(resource("icon.svg"))

    def createInstance(self):  # noqa: N802
        return AnswerQuestionSet(self.holder)

    def initAlgorithm(self, config=None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.RASTER, tr("Raster layer")))
        self.addParameter(QgsProcessingParameterFeatureSource(self.QUESTIONS, tr("Question table"),
                                                              [QgsProcessing.SourceType.TypeVector]))
        self.addParameter(QgsProcessingParameterFile(self.MODEL, tr("Model folder"),
                                                     behavior=QgsProcessingParameterFile.Behavior.Folder))
        self.addParameter(QgsProcessingParameterEnum(self.MODE, tr("Mode"), options=list(MODES), defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.REFERENCE, tr("Reference polygons"), [QgsProcessing.SourceType.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterExpression(
            self.FILTER, tr("Reference filter for rows without ref_filter"), optional=True,
            parentLayerParameterName=self.REFERENCE))
        self.addParameter(QgsProcessingParameterNumber(self.MATCH_IOU, tr("Match IoU"),
                                                       QgsProcessingParameterNumber.Type.Double, 0.5, False, 0.0,
                                                       1.0))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, tr("Answers")))
        self.addParameter(QgsProcessingParameterFeatureSink(self.SCORES, tr("Per-row scores"), optional=True))
        for name, text in (("ROWS", tr("Rows")), ("ANSWERED", tr("Rows answered")), ("FAILED", tr("Rows failed")),
                           ("SCORED", tr("Rows scored")), ("GIOU", "gIoU"), ("CIOU", "cIoU")):
            self.addOutput(QgsProcessingOutputNumber(name, text))

    def _segmenter(self, model_dir: str, feedback):
        """The model loaded the plugin's way (model_loader.load_segmenter): a first ONNX export runs in a child
        process that the algorithm's Cancel stops."""
        from ..common.cancellable import Cancelled
        from ..model.model_loader import load_segmenter
        from ..packages.dependencies import EngineUnavailable

        info = inspect_model_dir(model_dir)
        if info.state not in ("ok", "test"):
            raise QgsProcessingException(info.message)
        if info.state == "test":
            feedback.pushWarning(info.message)  # random weights: never presented as a working segmenter
        try:
            return load_segmenter(self.holder, model_dir, feedback.isCanceled,
                                  lambda: feedback.pushInfo(tr("Exporting the model's ONNX graphs (once)")))
        except EngineUnavailable as exc:
            raise QgsProcessingException(str(exc)) from exc
        except Cancelled as exc:
            raise QgsProcessingException(tr("Cancelled")) from exc
        except Exception as exc:
            from segearth_engine.api import SegEarthError  # imported: the engine is what raised

            if isinstance(exc, SegEarthError):  # a bad model folder: its one-line message, not a traceback
                raise QgsProcessingException(str(exc)) from exc
            raise

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..running.qgis_source import QgisRasterSource
        from .output import check_destination

        raster = self.parameterAsRasterLayer(parameters, self.RASTER, context)
        table = self.parameterAsSource(parameters, self.QUESTIONS, context)
        if raster is None or table is None:
            raise QgsProcessingException(tr("A raster layer and a question table are required"))
        if "question" not in {name.strip().lower() for name in table.fields().names()}:
            raise QgsProcessingException(tr("The question table has no \"question\" column (its columns: {}). "
                                            "Nothing was run.").format(", ".join(table.fields().names()) or "-"))
        for output in (self.OUTPUT, self.SCORES):  # before the model runs, not after
            check_destination(self, parameters, output, context)
        references = self.parameterAsSource(parameters, self.REFERENCE, context) \
            if parameters.get(self.REFERENCE) else None
        rows = table_rows(table, raster.crs(), feedback.isCanceled)
        if not rows:
            raise QgsProcessingException(tr("The question table has no rows"))
        segmenter = self._segmenter(self.parameterAsFile(parameters, self.MODEL, context), feedback)
        feedback.pushInfo(tr("Model {} on {}; {} rows").format(segmenter.model_id, segmenter.device, len(rows)))
        from segearth_engine.api import Cancelled, SegEarthError, run_question_set

        default_filter = self.parameterAsString(parameters, self.FILTER, context).strip() or None
        refs = None
        if references is not None:
            refs = QgisReferences(references, raster.crs(), context.transformContext(), default_filter)
        on_row = _row_reporter(feedback, default_filter)
        stage = {"text": ""}

        def progress(fraction: float, text: str = "") -> None:
            feedback.setProgress(100.0 * fraction)
            if text and text != stage["text"]:
                stage["text"] = text
                feedback.setProgressText(text)

        try:
            result = run_question_set(QgisRasterSource(raster), segmenter, rows, refs, cache=self.holder.cache(),
                                      progress=progress, is_cancelled=feedback.isCanceled,
                                      match_iou=self.parameterAsDouble(parameters, self.MATCH_IOU, context),
                                      on_row=on_row, mode=MODES[self.parameterAsEnum(parameters, self.MODE, context)])
        except Cancelled as exc:
            raise QgsProcessingException(tr("Cancelled")) from exc
        except SegEarthError as exc:
            raise QgsProcessingException(str(exc)) from exc
        outputs = self._write(parameters, context, result, raster.crs())
        summary = result.summary()
        if summary["scored"]:
            feedback.pushInfo(tr("gIoU {:.4f}, cIoU {:.4f} over {} scored rows").format(
                summary["gIoU"], summary["cIoU"], summary["scored"]))
        feedback.pushInfo(tr("{} of {} rows answered, {} failed; {} encodings").format(
            summary["answered"], summary["rows"], summary["failed"], summary["encoder_calls"]))
        return {**outputs, "ROWS": summary["rows"], "ANSWERED": summary["answered"], "FAILED": summary["failed"],
                "SCORED": summary["scored"], "GIOU": summary["gIoU"], "CIOU": summary["cIoU"]}

    def _write(self, parameters, context, result, raster_crs: QgsCoordinateReferenceSystem) -> dict:
        from segearth_engine.api import row_region

        answers = result.answer_features()
        fields = QgsFields()
        for field in fields_for([{"row_id": "", **attrs} for _, attrs in answers] or [{"row_id": "", "task": ""}]):
            fields.append(field)
        fields = _reordered(fields, "row_id")
        outputs = {self.OUTPUT: write_features(self, parameters, self.OUTPUT, context, fields, multipolygon_type(),
                                               raster_crs, [qgs_feature(fields, g, attrs) for g, attrs in answers])}
        if parameters.get(self.SCORES) is not None:
            score_fields = typed_fields(ROW_FIELDS)
            features = [qgs_feature(score_fields, row_region(o.row, result.crs_wkt) if o.row.extent else None,
                                    o.attributes()) for o in result.rows]
            outputs[self.SCORES] = write_features(self, parameters, self.SCORES, context, score_fields,
                                                  multipolygon_type(), raster_crs, features)
        return outputs


def _row_reporter(feedback, default_filter: str | None):
    """on_row for run_question_set: each row's line in the log, and a warning when its references were none."""
    from ..results.scoring import no_reference_warning

    def on_row(_index: int, outcome) -> None:
        if outcome.ok:
            feedback.pushInfo(outcome.describe())
        else:
            feedback.reportError(outcome.describe(), False)
        if outcome.ok and outcome.scores is not None:
            warning = no_reference_warning(outcome.scores.summary()["references"],
                                           outcome.row.reference_filter or default_filter)
            if warning:
                feedback.pushWarning(tr("row {}: {}").format(outcome.row.row_id, warning))

    return on_row


def _reordered(fields: QgsFields, first: str) -> QgsFields:
    out = QgsFields()
    out.append(fields.field(first))
    for field in fields:
        if field.name() != first:
            out.append(field)
    return out
