"""Question sets without QGIS: reading rows (CSV and vector tables), running them with the tiny model on a real
GeoTIFF, scoring against reference polygons in another CRS, skipping failing rows, cache reuse, cancel, and the CLI."""

from __future__ import annotations

import csv
import json

import pytest
from shapely.geometry import box, mapping

from segearth_engine.errors import Cancelled
from segearth_engine.evaluation.question_set import (
    VectorFileReferences,
    read_question_table,
    replace_crs,
    row_from_record,
    run_question_set,
    transform_geometry,
)
from segearth_engine.geo.rasterio_source import RasterioSource
from segearth_engine.runtime.feature_cache import FeatureCache
from tests.conftest import DATA

UTM18 = "EPSG:32618"
# 200 x 200 pixels of rgbn.tif (5 m, origin 792988, 2050382), aligned to its pixel grid: 1 km² exactly
REGION = (793003.0, 2049282.0, 794003.0, 2050282.0)


def _write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _bbox_row(row_id, question, extent=REGION, task="reasoning", ref_filter=""):
    return {"id": row_id, "question": question, "task": task, "minx": extent[0], "miny": extent[1],
            "maxx": extent[2], "maxy": extent[3], "ref_filter": ref_filter}


def _write_references(path):
    """Two reference polygons in EPSG:4326: class 'field' = the whole REGION, class 'pond' = a 100 m square in it."""
    import fiona

    schema = {"geometry": "Polygon", "properties": {"class": "str"}}
    with fiona.open(path, "w", driver="GeoJSON", crs="EPSG:4326", schema=schema) as sink:
        for cls, geometry in (("field", box(*REGION)), ("pond", box(793100, 2049400, 793200, 2049500))):
            sink.write({"geometry": mapping(transform_geometry(geometry, UTM18, "EPSG:4326")),
                        "properties": {"class": cls}})
    return path


def test_rows_from_csv_with_bbox_wkt_and_bad_rows(tmp_path):
    path = _write_csv(tmp_path / "q.csv", [
        {**_bbox_row("a", "  open   ground "), "wkt": ""},
        {**_bbox_row("", "roads", task="Referring"), "wkt": ""},
        {**_bbox_row("c", "x"), "wkt": "POLYGON ((0 0, 4 0, 4 2, 0 2, 0 0))"},
        {**_bbox_row("d", ""), "wkt": ""},
        {**_bbox_row("e", "q", task="count"), "wkt": ""},
        {"id": "f", "question": "q", "task": "", "minx": "", "miny": "", "maxx": "", "maxy": "", "ref_filter": "",
         "wkt": ""},
        {**_bbox_row("g", "q", extent=(5, 0, 1, 1)), "wkt": ""},
    ])
    rows = read_question_table(path, UTM18)
    assert [r.row_id for r in rows] == ["a", "2", "c", "d", "e", "f", "g"]
    assert rows[0].question == "open ground" and rows[0].extent == REGION and rows[0].crs == UTM18
    assert rows[1].task == "referring"
    assert rows[2].extent == (0.0, 0.0, 4.0, 2.0) and rows[2].region.area == 8.0
    assert [r.error is None for r in rows] == [True, True, True, False, False, False, False]
    assert "question is empty" in rows[3].error and "not one of" in rows[4].error
    assert "no extent" in rows[5].error and "empty extent" in rows[6].error


def test_rows_from_vector_table_take_geometry_and_crs(tmp_path):
    import fiona

    path = tmp_path / "q.geojson"
    schema = {"geometry": "Polygon", "properties": {"ID": "str", "Question": "str", "ref_filter": "str"}}
    with fiona.open(path, "w", driver="GeoJSON", crs=UTM18, schema=schema) as sink:
        sink.write({"geometry": mapping(box(*REGION)),
                    "properties": {"ID": "r1", "Question": "fields", "ref_filter": "class = 'pond'"}})
    (row,) = read_question_table(path)
    assert row.row_id == "r1" and row.question == "fields" and row.reference_filter == "class = 'pond'"
    assert row.extent == pytest.approx(REGION) and "UTM zone 18N" in row.crs
    assert row_from_record(3, {"question": "q"}, box(0, 0, 1, 1).centroid).error is not None  # a point: no extent


@pytest.mark.parametrize("suffix", [".csv", ".geojson"])
def test_a_table_without_a_question_column_is_refused_before_any_row(tmp_path, suffix):
    """Each row failed alone with "the question is empty" before: the table itself is what is wrong."""
    import fiona

    from segearth_engine.errors import InputError

    path = tmp_path / f"q{suffix}"
    if suffix == ".csv":
        _write_csv(path, [{"id": "a", "text": "fields", "wkt": "POLYGON ((0 0, 1 0, 1 1, 0 0))"}])
    else:
        schema = {"geometry": "Polygon", "properties": {"id": "str", "text": "str"}}
        with fiona.open(path, "w", driver="GeoJSON", crs=UTM18, schema=schema) as sink:
            sink.write({"geometry": mapping(box(*REGION)), "properties": {"id": "a", "text": "fields"}})
    with pytest.raises(InputError, match=r"no 'question' column \(its columns: id, text"):
        read_question_table(path)


def test_question_set_scores_skips_failures_and_reuses_encodings(tiny_onnx_segmenter, tmp_path):
    refs = VectorFileReferences(_write_references(tmp_path / "refs.geojson"))
    outside = (700000.0, 2000000.0, 701000.0, 2001000.0)
    rows = replace_crs(read_question_table(_write_csv(tmp_path / "q.csv", [
        _bbox_row("whole", "open flat ground", ref_filter="class = 'field'"),
        _bbox_row("pond", "a pond", ref_filter="class = 'pond'"),
        _bbox_row("away", "roads", extent=outside),
        _bbox_row("bad", "roads", task="count"),
        _bbox_row("none", "roofs", ref_filter="class = 'glacier'"),
    ])), UTM18)
    seen, stages = [], []
    with RasterioSource(DATA / "rgbn.tif") as source:
        result = run_question_set(source, tiny_onnx_segmenter, rows, refs, cache=FeatureCache(256),
                                  progress=lambda f, s="": stages.append((f, s)),
                                  on_row=lambda i, o: seen.append((i, o.row.row_id, o.ok)))
    assert seen == [(0, "whole", True), (1, "pond", True), (2, "away", False), (3, "bad", False), (4, "none", True)]
    assert "does not overlap" in result.rows[2].error and "not one of" in result.rows[3].error
    assert result.encoder_calls == 1  # three answered rows on one extent: one encoding
    assert {s for _, s in stages} >= {"row 1/5", "row 5/5"} and stages[-1] == (1.0, "done")
    assert [f for f, _ in stages] == sorted(f for f, _ in stages)

    whole, pond, _, _, none = result.rows
    # reference 'field' is the whole 1 km² region: IoU = answer area / 1e6, precision 1, recall = IoU
    answer_m2 = sum(attrs["area_m2"] for _, attrs in whole.features)
    assert answer_m2 > 0  # the tiny model answers part of the region, so the check below is not 0 == 0
    s = whole.scores.summary()
    assert s["reference_m2"] == pytest.approx(1e6, rel=1e-6)
    assert s["answer_m2"] == pytest.approx(answer_m2, rel=1e-6)
    assert s["iou"] == pytest.approx(answer_m2 / 1e6, rel=1e-5, abs=1e-9)
    assert s["recall"] == pytest.approx(answer_m2 / 1e6, rel=1e-5, abs=1e-9)
    assert s["precision"] == pytest.approx(1.0)
    assert pond.scores.overall.reference_m2 == pytest.approx(1e4, rel=1e-6)
    assert none.scores.overall.reference_m2 == 0 and none.scores.summary()["references"] == 0
    assert all(attrs["row_id"] == "whole" for _, attrs in whole.features)
    ious = [row.scores.overall.iou for row in (whole, pond, none)]
    summary = result.summary()
    assert (summary["rows"], summary["answered"], summary["failed"], summary["scored"]) == (5, 3, 2, 3)
    assert summary["gIoU"] == pytest.approx(sum(ious) / 3)
    inter = sum(row.scores.overall.intersection_m2 for row in (whole, pond, none))
    union = sum(row.scores.overall.union_m2 for row in (whole, pond, none))
    assert summary["cIoU"] == pytest.approx(inter / union if union else 0.0)


def test_question_set_cancel_stops_the_set(tiny_onnx_segmenter):
    rows = [row_from_record(1, _bbox_row("a", "fields"), crs=UTM18)] * 3
    with RasterioSource(DATA / "rgbn.tif") as source, pytest.raises(Cancelled):
        run_question_set(source, tiny_onnx_segmenter, rows, is_cancelled=lambda: True)


def test_cli_eval_questions_writes_answers_scores_and_json(tiny_model_dir, tmp_path, capsys):
    import fiona

    from segearth_engine.cli import main

    table = _write_csv(tmp_path / "q.csv", [_bbox_row("whole", "open flat ground", ref_filter="class = 'field'"),
                                            _bbox_row("away", "roads", extent=(0, 0, 10, 10))])
    refs = _write_references(tmp_path / "refs.geojson")
    out, scores, summary = tmp_path / "answers.gpkg", tmp_path / "scores.csv", tmp_path / "summary.json"
    code = main(["eval-questions", str(table), "--raster", str(DATA / "rgbn.tif"), "--model", str(tiny_model_dir),
                 "--references", str(refs), "--out", str(out), "--scores", str(scores), "--json", str(summary),
                 "--backend", "onnx", "--llm-precision", "fp32"])
    printed = capsys.readouterr().out
    assert code == 1  # one row failed: listed, skipped, outputs still written
    assert "row away: FAILED, skipped" in printed and "1/2 rows answered, 1 failed" in printed
    data = json.loads(summary.read_text())
    assert data["scored"] == 1 and data["gIoU"] == pytest.approx(data["rows_detail"][0]["iou"], abs=1e-6)
    assert f"gIoU {data['gIoU']:.4f}" in printed
    with scores.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["row_id"], r["status"]) for r in lines] == [("whole", "scored"), ("away", "failed")]
    with fiona.open(out) as answers:
        assert "row_id" in answers.schema["properties"]
        assert {f["properties"]["row_id"] for f in answers} <= {"whole"}
