"""Answer polygons scored against reference polygons on the map: union-area IoU, precision, recall, F1 and a
matched / missed / false-alarm table, with areas in m² (geodesic in geographic CRSs, geo/area.py).

The union scores use the same formula as `segearth eval` (earthreason.sample_iou: I / (U + 1e-5), 1.0 when both
are empty), so a mask rasterised from these polygons scores the same through IoUMeter.

Matching rule (per feature): every answer polygon and every reference polygon, both clipped to the region, are
paired by their IoU (plain I / U, no epsilon, so that IoU 0.5 exactly counts); pairs with IoU >= `match_iou` (0.5)
are taken greedily, highest IoU first (ties: lower reference index, then lower answer index), each feature at most
once. A reference so paired is "matched", one left over is "missed"; an answer polygon left over is a "false
alarm". References wholly outside the region are not counted. Ratios whose denominator is empty are 1.0 when
nothing was expected and nothing answered, else 0.0.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from segearth_engine.evaluation.earthreason import sample_iou
from segearth_engine.geo.area import area_function

MATCH_IOU = 0.5
MATCHED, MISSED, FALSE_ALARM = "matched", "missed", "false_alarm"
STATUSES = (MATCHED, MISSED, FALSE_ALARM)


def _ratio(numerator: float, denominator: float, both_empty: bool) -> float:
    if denominator > 0:
        return numerator / denominator
    return 1.0 if both_empty else 0.0


@dataclass(frozen=True)
class OverlapScores:
    """Union-area scores of an answer against a reference, areas in m²."""

    intersection_m2: float
    answer_m2: float
    reference_m2: float

    @property
    def union_m2(self) -> float:
        return max(self.answer_m2 + self.reference_m2 - self.intersection_m2, 0.0)

    @property
    def empty(self) -> bool:
        return self.answer_m2 == 0 and self.reference_m2 == 0

    @property
    def iou(self) -> float:
        return sample_iou(self.intersection_m2, self.union_m2)

    @property
    def precision(self) -> float:
        return _ratio(self.intersection_m2, self.answer_m2, self.empty)

    @property
    def recall(self) -> float:
        return _ratio(self.intersection_m2, self.reference_m2, self.empty)

    @property
    def f1(self) -> float:
        return _ratio(2 * self.intersection_m2, self.answer_m2 + self.reference_m2, self.empty)

    def summary(self) -> dict:
        return {"iou": self.iou, "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "intersection_m2": self.intersection_m2, "union_m2": self.union_m2, "answer_m2": self.answer_m2,
                "reference_m2": self.reference_m2}


@dataclass(frozen=True)
class FeatureOutcome:
    """One row of the matched / missed / false-alarm table (geometry clipped to the region, in the scoring CRS).

    For a reference: `iou` is its IoU with the matched answer polygon (missed: with the best one), `covered` the share
    of it inside the union of all answers. For a false alarm: `iou` is its best IoU with any reference."""

    status: str
    geometry: object
    area_m2: float
    iou: float
    reference_id: object = None
    answer_id: object = None
    covered: float | None = None

    def attributes(self) -> dict:
        return {"status": self.status, "ref_id": None if self.reference_id is None else str(self.reference_id),
                "answer_id": None if self.answer_id is None else str(self.answer_id),
                "iou": round(self.iou, 6), "covered": None if self.covered is None else round(self.covered, 6),
                "area_m2": round(self.area_m2, 3)}


@dataclass
class VectorScores:
    overall: OverlapScores
    outcomes: list[FeatureOutcome] = field(default_factory=list)
    match_iou: float = MATCH_IOU

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def references(self) -> list[FeatureOutcome]:
        return [o for o in self.outcomes if o.status != FALSE_ALARM]

    def summary(self) -> dict:
        return {**self.overall.summary(), "references": len(self.references), "matched": self.count(MATCHED),
                "missed": self.count(MISSED), "false_alarms": self.count(FALSE_ALARM), "match_iou": self.match_iou}

    def table(self) -> list[tuple[object, dict]]:
        """(geometry, attributes) per reference and per false alarm, for a layer or a file."""
        return [(o.geometry, o.attributes()) for o in self.outcomes]


def polygonal(geometry):
    """The polygonal part of `geometry` (made valid) as a (Multi)Polygon, or None when it has no area."""
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union
    from shapely.validation import make_valid

    if geometry is None or geometry.is_empty:
        return None
    if not geometry.is_valid:
        geometry = make_valid(geometry)
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", [geometry])
             if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    if not parts:
        return None
    return unary_union(parts) if len(parts) > 1 else parts[0]


def _clipped(geometries: Sequence, region) -> list:
    out = []
    for geometry in geometries:
        shape = polygonal(geometry)
        if shape is not None and region is not None:
            shape = polygonal(shape.intersection(region))
        out.append(shape)
    return out


def _union(shapes: Sequence):
    from shapely.ops import unary_union

    present = [s for s in shapes if s is not None]
    return polygonal(unary_union(present)) if present else None


def _area(area_of: Callable[[object], float], geometry) -> float:
    return 0.0 if geometry is None or geometry.is_empty else float(area_of(geometry))


def _candidates(answers: list) -> Callable[[object], list[int]]:
    """A function reference -> indices of the answers whose bounding boxes meet it (an STR tree; shapely 2 returns
    indices from a query, shapely 1.8 the geometries themselves)."""
    from shapely.strtree import STRtree

    present = [j for j, a in enumerate(answers) if a is not None]
    if not present:
        return lambda _ref: []
    shapes = [answers[j] for j in present]
    with warnings.catch_warnings():  # shapely 1.8 warns that 2.0's STRtree differs: both are handled below
        warnings.simplefilter("ignore")
        tree = STRtree(shapes)
    by_id = {id(shape): j for shape, j in zip(shapes, present, strict=True)}

    def query(ref) -> list[int]:
        hits = tree.query(ref)
        return sorted(present[int(h)] if not hasattr(h, "geom_type") else by_id[id(h)] for h in hits)

    return query


def _pair_ious(area_of, refs: list, ref_areas: list[float], answers: list, answer_areas: list[float],
               candidates: Callable[[object], list[int]]) -> dict[tuple[int, int], float]:
    """IoU of every overlapping (reference, answer) pair."""
    ious = {}
    for i, ref in enumerate(refs):
        if ref is None:
            continue
        for j in candidates(ref):
            if not ref.intersects(answers[j]):
                continue
            inter = _area(area_of, polygonal(ref.intersection(answers[j])))
            if inter > 0:
                ious[(i, j)] = sample_iou(inter, ref_areas[i] + answer_areas[j] - inter, 0.0)
    return ious


def score_geometries(answers: Sequence, references: Sequence, crs_wkt: str, region=None,
                     match_iou: float = MATCH_IOU, answer_ids: Sequence | None = None,
                     reference_ids: Sequence | None = None) -> VectorScores:
    """Scores of answer polygons against reference polygons, all shapely geometries in `crs_wkt`, within `region`
    (a shapely polygon in the same CRS; None: everywhere). Ids default to the features' positions."""
    area_of = area_function(crs_wkt)
    answer_ids = list(answer_ids) if answer_ids is not None else list(range(len(answers)))
    reference_ids = list(reference_ids) if reference_ids is not None else list(range(len(references)))
    answer_shapes, ref_shapes = _clipped(answers, region), _clipped(references, region)
    answer_union, ref_union = _union(answer_shapes), _union(ref_shapes)
    answer_m2, reference_m2 = _area(area_of, answer_union), _area(area_of, ref_union)
    inter = 0.0
    if answer_union is not None and ref_union is not None:
        inter = min(_area(area_of, polygonal(answer_union.intersection(ref_union))), answer_m2, reference_m2)
    overall = OverlapScores(inter, answer_m2, reference_m2)

    ref_areas = [_area(area_of, s) for s in ref_shapes]
    answer_areas = [_area(area_of, s) for s in answer_shapes]
    candidates = _candidates(answer_shapes)
    ious = _pair_ious(area_of, ref_shapes, ref_areas, answer_shapes, answer_areas, candidates)
    ref_match: dict[int, int] = {}
    answer_match: dict[int, int] = {}
    for (i, j), iou in sorted(ious.items(), key=lambda item: (-item[1], item[0])):
        if iou >= match_iou and i not in ref_match and j not in answer_match:
            ref_match[i], answer_match[j] = j, i

    outcomes = []
    for i, shape in enumerate(ref_shapes):
        if shape is None or ref_areas[i] == 0:
            continue  # outside the region
        near = _union([answer_shapes[j] for j in candidates(shape)])  # the answers' union, where it can matter
        covered = 0.0 if near is None else min(
            _area(area_of, polygonal(shape.intersection(near))) / ref_areas[i], 1.0)
        if i in ref_match:
            j = ref_match[i]
            outcomes.append(FeatureOutcome(MATCHED, shape, ref_areas[i], ious[(i, j)], reference_ids[i],
                                           answer_ids[j], covered))
        else:
            best = max((iou for (r, _), iou in ious.items() if r == i), default=0.0)
            outcomes.append(FeatureOutcome(MISSED, shape, ref_areas[i], best, reference_ids[i], None, covered))
    for j, shape in enumerate(answer_shapes):
        if shape is None or answer_areas[j] == 0 or j in answer_match:
            continue
        best = max((iou for (_, a), iou in ious.items() if a == j), default=0.0)
        outcomes.append(FeatureOutcome(FALSE_ALARM, shape, answer_areas[j], best, None, answer_ids[j]))
    return VectorScores(overall, outcomes, match_iou)
