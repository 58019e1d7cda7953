"""Answer-vs-reference scores on polygons: hand-computed cases, the matching rule, geodesic areas, and agreement with
`segearth eval`'s metric code (IoUMeter) on the same shapes rasterised."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from segearth_engine.evaluation.earthreason import IoUMeter
from segearth_engine.evaluation.vector_scores import FALSE_ALARM, MATCHED, MISSED, score_geometries

UTM = "EPSG:32633"


def test_two_squares_overlapping_by_a_third():
    # answer 2x2 m, reference 2x2 m shifted by 1 m: I = 2, U = 6
    scores = score_geometries([box(0, 0, 2, 2)], [box(1, 0, 3, 2)], UTM)
    overall = scores.overall
    assert overall.intersection_m2 == pytest.approx(2.0) and overall.union_m2 == pytest.approx(6.0)
    assert overall.iou == pytest.approx(2 / (6 + 1e-5), abs=1e-12)  # upstream's epsilon
    assert overall.iou == pytest.approx(1 / 3, abs=1e-6)
    assert (overall.precision, overall.recall, overall.f1) == pytest.approx((0.5, 0.5, 0.5))
    # pair IoU 1/3 < 0.5: one missed reference and one false alarm
    assert [(o.status, round(o.iou, 4)) for o in scores.outcomes] == [(MISSED, 0.3333), (FALSE_ALARM, 0.3333)]
    assert scores.outcomes[0].covered == pytest.approx(0.5)


def test_precision_recall_when_answer_inside_reference():
    scores = score_geometries([box(0, 0, 1, 4)], [box(0, 0, 4, 4)], UTM)  # 4 m² inside 16 m²
    assert scores.overall.precision == pytest.approx(1.0) and scores.overall.recall == pytest.approx(0.25)
    assert scores.overall.f1 == pytest.approx(2 * 4 / 20)
    assert scores.overall.iou == pytest.approx(0.25, abs=1e-6)


def test_greedy_one_to_one_matching():
    refs = [box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)]
    answers = [box(0, 0, 9, 10), box(20, 0, 24, 10), box(60, 0, 70, 10), box(0.5, 0, 10, 10)]
    scores = score_geometries(answers, refs, UTM, reference_ids=["a", "b", "c"], answer_ids=[10, 11, 12, 13])
    table = {(o.status, o.reference_id, o.answer_id): round(o.iou, 4) for o in scores.outcomes}
    # reference a: answer 13 (IoU 0.95) beats answer 10 (0.9); answer 10 is then a false alarm
    assert table == {(MATCHED, "a", 13): 0.95, (MISSED, "b", None): 0.4, (MISSED, "c", None): 0.0,
                     (FALSE_ALARM, None, 10): 0.9, (FALSE_ALARM, None, 11): 0.4, (FALSE_ALARM, None, 12): 0.0}
    summary = scores.summary()
    assert (summary["matched"], summary["missed"], summary["false_alarms"], summary["references"]) == (1, 2, 3, 3)
    assert scores.table()[0][1]["status"] == MATCHED


def test_region_clips_and_drops_outside_references():
    region = box(0, 0, 10, 10)
    scores = score_geometries([box(5, 0, 15, 10)], [box(0, 0, 10, 10), box(50, 50, 60, 60)], UTM, region)
    assert scores.overall.answer_m2 == pytest.approx(50.0) and scores.overall.reference_m2 == pytest.approx(100.0)
    assert [o.status for o in scores.outcomes] == [MATCHED]  # the far reference is outside: not missed
    assert scores.outcomes[0].iou == pytest.approx(0.5, abs=1e-6)


def test_empty_answer_and_empty_reference():
    both = score_geometries([], [], UTM)
    assert (both.overall.iou, both.overall.precision, both.overall.recall, both.overall.f1) == (1.0, 1.0, 1.0, 1.0)
    missed = score_geometries([], [box(0, 0, 1, 1)], UTM)
    assert (missed.overall.iou, missed.overall.precision, missed.overall.recall) == (0.0, 0.0, 0.0)


def test_invalid_and_multipart_geometries():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-intersecting: two triangles of 1 m² each
    multi = MultiPolygon([box(0, 0, 1, 2), box(1, 0, 2, 2)])
    scores = score_geometries([bowtie], [multi], UTM)
    assert scores.overall.answer_m2 == pytest.approx(2.0) and scores.overall.reference_m2 == pytest.approx(4.0)
    assert scores.overall.iou == pytest.approx(0.5, abs=1e-5)


def test_geographic_crs_areas_are_geodesic():
    from pyproj import Geod

    answer, reference = box(10.0, 45.0, 10.01, 45.01), box(10.005, 45.0, 10.015, 45.01)
    scores = score_geometries([answer], [reference], "EPSG:4326")
    geod = Geod(ellps="WGS84")
    expected = abs(geod.geometry_area_perimeter(answer)[0])
    assert scores.overall.answer_m2 == pytest.approx(expected, rel=1e-9)
    assert 780_000 < expected < 880_000  # ~0.01° x 0.01° at 45° N, in m², not degrees²
    assert scores.overall.iou == pytest.approx(1 / 3, rel=1e-3)


def _rasterise(geometries, size: int) -> np.ndarray:
    from affine import Affine
    from rasterio.features import rasterize

    if not geometries:
        return np.zeros((size, size), dtype=np.uint8)
    return rasterize([(g, 1) for g in geometries], out_shape=(size, size),
                     transform=Affine(1, 0, 0, 0, -1, size), fill=0, dtype="uint8")


@pytest.mark.parametrize("seed", range(6))
def test_union_scores_agree_with_eval_metric_on_rasterised_masks(seed):
    """Pixel-aligned random rectangles (1 m pixels, so m² = pixel counts) scored as polygons and as masks."""
    rng = np.random.default_rng(seed)
    size = 64

    def rectangles(count):
        out = []
        for _ in range(count):
            x0, y0 = rng.integers(0, size - 4, 2)
            w, h = rng.integers(2, 24, 2)
            out.append(box(int(x0), int(y0), int(min(x0 + w, size)), int(min(y0 + h, size))))
        return out

    answers, references = rectangles(int(rng.integers(0, 5))), rectangles(int(rng.integers(1, 5)))
    pred, label = _rasterise(answers, size), _rasterise(references, size)
    meter = IoUMeter()
    mask_iou = meter.add(pred, label)
    scores = score_geometries(answers, references, UTM)
    assert scores.overall.iou == pytest.approx(mask_iou, abs=1e-9)
    vector_meter = IoUMeter()
    vector_meter.add_areas(scores.overall.intersection_m2, scores.overall.union_m2)
    assert vector_meter.ciou == pytest.approx(meter.ciou, abs=1e-9)
    inter = np.count_nonzero(pred & label)
    if pred.any():
        assert scores.overall.precision == pytest.approx(inter / np.count_nonzero(pred))
    assert scores.overall.recall == pytest.approx(inter / np.count_nonzero(label))
