"""`segearth eval-questions`: a question-set table (CSV or vector file) answered on one raster and, with reference
polygons, scored per row (IoU, precision, recall, F1, matched/missed/false alarms) and over the set (gIoU, cIoU).

The same engine code (evaluation/question_set.py, vector_scores.py) runs QGIS's "Answer a question set" algorithm.
Exit status: 0 when every row was answered, 1 when some rows failed (they are listed and skipped), 2 on bad input.
"""

from __future__ import annotations

import argparse
import csv
import json
import time

from segearth_engine.commands.runtime_options import add_runtime_arguments, load_segmenter
from segearth_engine.errors import InputError


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def write_row_scores(path: str, outcomes, overwrite: bool = False) -> None:
    """The per-row score table as CSV (one line per row, failed rows with their reason)."""
    from pathlib import Path

    target = Path(path)
    if target.exists() and not overwrite:
        from segearth_engine.errors import OutputExistsError

        raise OutputExistsError(f"{target} exists; choose another name or pass --overwrite")
    rows = [outcome.attributes() for outcome in outcomes]
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["row_id"])
        writer.writeheader()
        writer.writerows(rows)


def _run(args: argparse.Namespace) -> int:
    from segearth_engine.evaluation.question_set import (
        VectorFileReferences,
        read_question_table,
        replace_crs,
        run_question_set,
    )
    from segearth_engine.geo.rasterio_source import RasterioSource

    if args.out:
        from segearth_engine.geo.writers import check_output

        check_output(args.out, args.overwrite)
    references = VectorFileReferences(args.references, args.reference_layer, args.filter) if args.references \
        else None
    segmenter = load_segmenter(args)
    start = time.perf_counter()
    with RasterioSource(args.raster) as source:
        rows = replace_crs(read_question_table(args.table, args.crs), source.crs_wkt)
        if not rows:
            raise InputError(f"{args.table} has no rows")
        on_row = None if args.quiet else (lambda _i, outcome: print(outcome.describe(), flush=True))
        result = run_question_set(source, segmenter, rows, references, match_iou=args.match_iou, on_row=on_row,
                                  mode=args.mode)
    summary = {**result.summary(), "model": segmenter.model_id, "device": segmenter.device,
               "seconds": round(time.perf_counter() - start, 2)}
    scored = f", gIoU {_fmt(summary['gIoU'])}, cIoU {_fmt(summary['cIoU'])} over {summary['scored']} scored rows" \
        if summary["scored"] else ""
    print(f"{args.table}: {summary['answered']}/{summary['rows']} rows answered, {summary['failed']} failed{scored} "
          f"({summary['encoder_calls']} encodings, {segmenter.device}, {summary['seconds']} s)")
    if args.out:
        from segearth_engine.geo.writers import write_vector

        base = {"row_id": "", "question": "", "model": "", "mode": "", "area_m2": 0.0, "mean_prob": 0.0,
                "pixels": 0, "task": ""}
        write_vector(args.out, result.answer_features(), result.crs_wkt, base, args.overwrite)
    if args.scores:
        write_row_scores(args.scores, result.rows, args.overwrite)
    if args.json:
        rows_json = [outcome.attributes() for outcome in result.rows]
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({**summary, "table": args.table, "rows_detail": rows_json}, handle, indent=1)
    return 1 if result.failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-questions", help="answer a question-set table on a raster and score the answers "
                                              "against reference polygons (IoU, precision, recall, F1, gIoU, cIoU)")
    p.add_argument("table", help="CSV (id, question, task, wkt or minx,miny,maxx,maxy, ref_filter) or a vector file "
                                 "whose features' geometries are the extents")
    p.add_argument("--raster", required=True, help="the raster every row is asked about")
    p.add_argument("--model", required=True)
    p.add_argument("--references", default=None, help="reference polygons (any vector file, any CRS)")
    p.add_argument("--reference-layer", default=None, help="layer of a multi-layer reference file (GeoPackage)")
    p.add_argument("--filter", default=None,
                   help="attribute filter on the references for rows without ref_filter (OGR SQL: \"class = 'x'\")")
    p.add_argument("--crs", default=None, help="CRS of the table's extents (default: the table's, else the raster's)")
    p.add_argument("--mode", default="view", choices=("view", "tiled"))
    p.add_argument("--match-iou", type=float, default=0.5, help="IoU for a reference to count as matched")
    p.add_argument("--out", default=None, help="all answers in one .gpkg/.shp/.geojson, with row_id")
    p.add_argument("--scores", default=None, help="per-row scores as CSV")
    p.add_argument("--json", default=None, help="summary and per-row scores as JSON")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--quiet", action="store_true")
    add_runtime_arguments(p)
    p.set_defaults(func=_run)
