"""The one front through which the plugin, the CLI, Processing and the Dask runner reach the engine."""

from __future__ import annotations

# issue 17: answers scored against reference polygons; question sets (evaluation/vector_scores.py, question_set.py)
from segearth_engine.evaluation.question_set import (  # noqa: E402, F401
    SCORE_FIELDS,
    QuestionRow,
    QuestionSetResult,
    RowOutcome,
    row_from_record,
    row_region,
    run_question_set,
)
from segearth_engine.evaluation.vector_scores import (  # noqa: E402, F401
    FALSE_ALARM,
    MATCH_IOU,
    MATCHED,
    MISSED,
    VectorScores,
    score_geometries,
)
