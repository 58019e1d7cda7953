"""Processing algorithm "Score against reference": answer polygons vs reference polygons -> IoU, precision, recall,
F1 of the union areas (m², geodesic in geographic CRSs) and a styled matched / missed / false-alarm layer."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterExpression,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterNumber,
)
from qtpy.QtGui import QIcon

from ..common.paths import resource
from ..common.translation import tr

#: Processing output names -> keys of VectorScores.summary()
NUMBER_OUTPUTS = {"IOU": "iou", "PRECISION": "precision", "RECALL": "recall", "F1": "f1",
                  "INTERSECTION_M2": "intersection_m2", "UNION_M2": "union_m2", "ANSWER_M2": "answer_m2",
                  "REFERENCE_M2": "reference_m2", "MATCHED": "matched", "MISSED": "missed",
                  "FALSE_ALARMS": "false_alarms"}


def multipolygon_type():
    from qgis.core import Qgis, QgsWkbTypes

    kind = getattr(Qgis, "WkbType", None)  # QGIS >= 3.30 (and 4)
    return kind.MultiPolygon if kind is not None else QgsWkbTypes.Type.MultiPolygon


class OutcomeStyler(QgsProcessingLayerPostProcessorInterface):
    """Styles the outcome layer when Processing loads it (on the GUI thread). Instances are kept alive here: QGIS
    holds only a C++ pointer to them."""

    alive: list[OutcomeStyler] = []

    @classmethod
    def create(cls) -> OutcomeStyler:
        styler = cls()
        cls.alive.append(styler)
        return styler

    def postProcessLayer(self, layer, context, feedback) -> None:  # noqa: N802 - QGIS API
        from ..results.scoring import style_outcomes

        style_outcomes(layer)


def style_when_loaded(context, dest_id: str) -> None:
    if context.willLoadLayerOnCompletion(dest_id):
        context.layerToLoadOnCompletionDetails(dest_id).setPostProcessor(OutcomeStyler.create())


class ScoreAgainstReference(QgsProcessingAlgorithm):
    ANSWER, REFERENCE, FILTER, EXTENT, MATCH_IOU, OUTPUT = (
        "ANSWER", "REFERENCE", "REFERENCE_FILTER", "EXTENT", "MATCH_IOU", "OUTPUT")

    def name(self) -> str:
        return "scoreagainstreference"

    def displayName(self) -> str:  # noqa: N802 - QGIS API
        return tr("Score against reference")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr("Measures how well answer polygons (a SegEarth result or any polygon layer) agree with reference "
                  "polygons within an extent: IoU, precision, recall and F1 of the union areas (m², geodesic in "
                  "geographic CRSs), computed as `segearth eval` computes IoU. Each reference is matched one-to-one "
                  "to an answer polygon when their IoU reaches the match IoU (greedy, highest IoU first); unmatched "
                  "references are 'missed', unmatched answer polygons 'false_alarm'. Layers may be in any CRS; "
                  "scores are measured in the answer layer's CRS.")

    def icon(self) -> QIcon:
        return QIcon(resource("icon.svg"))

    def createInstance(self):  # noqa: N802
        return ScoreAgainstReference()

    def initAlgorithm(self, config=None) -> None:  # noqa: N802
        polygons = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterFeatureSource(self.ANSWER, tr("Answer layer"), polygons))
        self.addParameter(QgsProcessingParameterFeatureSource(self.REFERENCE, tr("Reference polygons"), polygons))
        self.addParameter(QgsProcessingParameterExpression(self.FILTER, tr("Reference filter"), optional=True,
                                                           parentLayerParameterName=self.REFERENCE))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, tr("Extent (empty: everywhere)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.MATCH_IOU, tr("Match IoU"),
                                                       QgsProcessingParameterNumber.Type.Double, 0.5, False, 0.0,
                                                       1.0))
        self.addParameter(QgsProcessingParameterFeatureSink(self.OUTPUT, tr("Matched, missed and false alarms")))
        for name in NUMBER_OUTPUTS:
            self.addOutput(QgsProcessingOutputNumber(name, name.replace("_", " ").title()))
        self.addOutput(QgsProcessingOutputString("SUMMARY", tr("Summary")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ..results.scoring import (
            ScoringError,
            no_reference_warning,
            outcome_features,
            outcome_fields,
            score_sources,
            summary_text,
        )
        from .output import check_destination, write_features

        answers = self.parameterAsSource(parameters, self.ANSWER, context)
        references = self.parameterAsSource(parameters, self.REFERENCE, context)
        if answers is None or references is None:
            raise QgsProcessingException(tr("An answer layer and a reference layer are required"))
        check_destination(self, parameters, self.OUTPUT, context)
        crs = answers.sourceCrs() if answers.sourceCrs().isValid() else references.sourceCrs()
        rect = self.parameterAsExtent(parameters, self.EXTENT, context, crs) if parameters.get(self.EXTENT) else None
        expression = self.parameterAsString(parameters, self.FILTER, context).strip() or None
        try:
            scores = score_sources(answers, references, crs, context.transformContext(), rect, expression,
                                   self.parameterAsDouble(parameters, self.MATCH_IOU, context), feedback.isCanceled)
        except ScoringError as exc:
            raise QgsProcessingException(str(exc)) from exc
        except ImportError as exc:
            raise QgsProcessingException(tr("The SegEarth engine cannot be imported: {}").format(exc)) from exc
        summary = scores.summary()
        warning = no_reference_warning(summary["references"], expression)
        if warning:
            feedback.pushWarning(warning)
        feedback.pushInfo(summary_text(scores))
        fields = outcome_fields()
        dest_id = write_features(self, parameters, self.OUTPUT, context, fields, multipolygon_type(), crs,
                                 outcome_features(scores, fields))
        style_when_loaded(context, dest_id)
        return {self.OUTPUT: dest_id, "SUMMARY": summary_text(scores),
                **{name: summary[key] for name, key in NUMBER_OUTPUTS.items()}}
