"""A question set run on one raster: a table of rows (id, extent, question, optional task and reference filter) ->
one answer per row, scored against reference polygons where the row has them, and gIoU/cIoU over the scored rows.

Table columns (names case-insensitive): `id` (default: the row number), `question`, `task` (reasoning|referring,
default reasoning), the extent as the row's geometry (vector tables), a `wkt` column, or `minx, miny, maxx, maxy`
(also xmin/ymin/xmax/ymax), and `ref_filter`: an attribute filter on the reference layer ("class" = 'building'; OGR
SQL in the engine, a QGIS expression in QGIS). A row's answer is scored inside its extent (the geometry itself when
given as one) against the references there. Rows on the same extent share one encoding through the feature cache.
A row that cannot be read or answered is reported with its reason and skipped; cancelling stops the whole set.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from segearth_engine.errors import Cancelled, InputError, SegEarthError
from segearth_engine.evaluation.earthreason import IoUMeter
from segearth_engine.evaluation.vector_scores import MATCH_IOU, VectorScores, score_geometries
from segearth_engine.types import TASKS

BBOX_COLUMNS = (("minx", "miny", "maxx", "maxy"), ("xmin", "ymin", "xmax", "ymax"))
# references(row, crs_wkt, region) -> [(reference id, shapely geometry in crs_wkt)], or None when the row has none
References = Callable[["QuestionRow", str, object], list[tuple[object, object]] | None]


@dataclass(frozen=True)
class QuestionRow:
    """One row; `region` is a shapely geometry in `crs` (None: the bbox `extent`). `error` marks an unreadable row."""

    row_id: str
    question: str = ""
    extent: tuple[float, float, float, float] | None = None
    region: object = None
    crs: str | None = None
    task: str = "reasoning"
    reference_filter: str | None = None
    error: str | None = None


def _lower_keys(record: dict) -> dict:
    return {str(k).strip().lower(): v for k, v in record.items()}


def _text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _bbox_from(record: dict) -> tuple[float, float, float, float] | None:
    for names in BBOX_COLUMNS:
        if all(name in record for name in names):
            values = [record[name] for name in names]
            if all(_text(v) == "" for v in values):
                return None
            try:
                box = tuple(float(v) for v in values)
            except (TypeError, ValueError):
                raise InputError(f"{', '.join(names)} must be numbers, not {values}") from None
            if not all(math.isfinite(v) for v in box):
                raise InputError(f"{', '.join(names)} must be finite numbers, not {values}")
            return box  # type: ignore[return-value]
    return None


def check_columns(names: Iterable[str]) -> None:
    """InputError, before any row runs, when the table has no `question` column (each row would fail alone)."""
    names = [str(name) for name in names]
    if "question" not in {name.strip().lower() for name in names}:
        raise InputError(f"the question table has no 'question' column (its columns: {', '.join(names) or 'none'})")


def row_from_record(number: int, record: dict, geometry=None, crs: str | None = None) -> QuestionRow:
    """A QuestionRow from a table record (any column-name case) and its geometry (shapely or None), in `crs`.

    Never raises for bad content: the row then carries `error`, so the set reports and skips it."""
    values = _lower_keys(record)
    row_id = _text(values.get("id")) or str(number)
    try:
        question = _text(values.get("question"))
        if not question:
            raise InputError("the question is empty")
        task = _text(values.get("task")).lower() or "reasoning"
        if task not in TASKS:
            raise InputError(f"task {task!r} is not one of {', '.join(TASKS)}")
        region = None
        if geometry is not None and not geometry.is_empty:
            region = geometry
        elif _text(values.get("wkt")):
            from shapely import wkt

            try:
                region = wkt.loads(str(values["wkt"]))
            except Exception as exc:  # noqa: BLE001 - shapely 1.8 and 2 raise different errors
                raise InputError(f"the wkt column is not a geometry: {exc}") from None
        extent = tuple(float(v) for v in region.bounds) if region is not None else _bbox_from(values)
        if extent is None:
            raise InputError("no extent: give the row a geometry, a wkt column or minx, miny, maxx, maxy")
        if not (extent[0] < extent[2] and extent[1] < extent[3]):
            raise InputError(f"empty extent {extent}: need minx < maxx and miny < maxy")
        if region is not None and region.geom_type not in ("Polygon", "MultiPolygon"):
            region = None  # a point or line: its bounding box is the extent
        return QuestionRow(row_id, question, extent, region, crs, task,
                           _text(values.get("ref_filter")) or None)  # type: ignore[arg-type]
    except SegEarthError as exc:
        return QuestionRow(row_id, error=str(exc))


def read_question_table(path: str | Path, crs: str | None = None) -> list[QuestionRow]:
    """Rows of a CSV (extent from wkt or bbox columns, in `crs`) or of any vector file fiona reads (extent from each
    feature's geometry, in the file's CRS unless `crs` is given)."""
    target = Path(path)
    if not target.exists():
        raise InputError(f"{target}: no such question table")
    if target.suffix.lower() in (".csv", ".txt", ".tsv"):
        with target.open(newline="", encoding="utf-8-sig") as handle:
            header = handle.readline()
            handle.seek(0)
            delimiter = max(",;\t", key=header.count)  # the header's most frequent separator
            reader = csv.DictReader(handle, delimiter=delimiter)
            check_columns(reader.fieldnames or [])
            return [row_from_record(n, record, None, crs) for n, record in enumerate(reader, 1)]
    import fiona
    from shapely.geometry import shape

    try:
        with fiona.open(target) as table:
            check_columns(table.schema["properties"])
            table_crs = crs or (table.crs_wkt or None)
            return [row_from_record(n, dict(feature["properties"]),
                                    shape(feature["geometry"]) if feature["geometry"] else None, table_crs)
                    for n, feature in enumerate(table, 1)]
    except fiona.errors.FionaError as exc:
        raise InputError(f"{target} cannot be read as a table: {exc}") from exc


def _densified(geometry, step: float):
    """Polygon rings with extra vertices at most `step` apart (shapely 1.8 has no segmentize)."""
    from shapely.geometry import MultiPolygon, Polygon

    def ring(coords) -> list[tuple[float, float]]:
        points = list(coords)
        out = []
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
            count = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
            out += [(x0 + (x1 - x0) * k / count, y0 + (y1 - y0) * k / count) for k in range(count)]
        return out + points[-1:]

    def polygon(p: Polygon) -> Polygon:
        return Polygon(ring(p.exterior.coords), [ring(hole.coords) for hole in p.interiors])

    if isinstance(geometry, Polygon):
        return polygon(geometry)
    if isinstance(geometry, MultiPolygon):
        return MultiPolygon([polygon(p) for p in geometry.geoms])
    return geometry


def transform_geometry(geometry, src: str | None, dst: str | None):
    """`geometry` (shapely) from CRS `src` to `dst`, polygon edges densified so that curved boundaries are followed."""
    if not src or not dst:
        return geometry
    import numpy as np
    import pyproj
    import shapely

    from segearth_engine.geo.crs import parse_crs

    src_crs, dst_crs = parse_crs(src), parse_crs(dst)
    if src_crs == dst_crs:
        return geometry
    minx, miny, maxx, maxy = geometry.bounds
    step = max(maxx - minx, maxy - miny) / 64
    dense = _densified(geometry, step) if step > 0 else geometry
    transformer = pyproj.Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    if hasattr(shapely, "transform"):  # shapely 2 (whose 2.2 deprecates shapely.ops.transform); Debian 12 has 1.8
        return shapely.transform(dense, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    from shapely.ops import transform

    return transform(transformer.transform, dense)


def row_region(row: QuestionRow, crs_wkt: str):
    """The row's scoring region (its polygon, else its bbox) in `crs_wkt`."""
    from shapely.geometry import box

    region = row.region if row.region is not None else box(*row.extent)
    return transform_geometry(region, row.crs, crs_wkt)


@dataclass
class RowOutcome:
    """What one row gave: answer features (raster CRS, with row_id), scores when it had references, or an error."""

    row: QuestionRow
    features: list = field(default_factory=list)
    scores: VectorScores | None = None
    error: str | None = None
    seconds: float = 0.0
    encoded: bool = False  # True when this row ran the encoder (False: cached encoding reused)

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe(self) -> str:
        """One line for a log: polygons and scores, or why the row was skipped."""
        if self.error:
            return f"row {self.row.row_id}: FAILED, skipped: {self.error}"
        text = f"row {self.row.row_id}: {len(self.features)} polygons"
        if self.scores is not None:
            s = self.scores.summary()
            text += (f", IoU {s['iou']:.4f}, precision {s['precision']:.4f}, recall {s['recall']:.4f}, "
                     f"F1 {s['f1']:.4f}, {s['matched']} matched, {s['missed']} missed, "
                     f"{s['false_alarms']} false alarms")
        return text

    def attributes(self) -> dict:
        """One row of the per-row score table."""
        attrs = {"row_id": self.row.row_id, "question": self.row.question, "task": self.row.task,
                 "status": "failed" if self.error else ("scored" if self.scores else "answered"),
                 "error": self.error, "polygons": len(self.features), "seconds": round(self.seconds, 3)}
        summary = self.scores.summary() if self.scores else {}
        for key in SCORE_FIELDS:
            value = summary.get(key)
            attrs[key] = None if value is None else (round(float(value), 6) if isinstance(value, float) else value)
        return attrs


SCORE_FIELDS = ("iou", "precision", "recall", "f1", "answer_m2", "reference_m2", "matched", "missed",
                "false_alarms")


@dataclass
class QuestionSetResult:
    rows: list[RowOutcome]
    crs_wkt: str
    meter: IoUMeter = field(default_factory=IoUMeter)
    encoder_calls: int = 0

    @property
    def failed(self) -> list[RowOutcome]:
        return [r for r in self.rows if not r.ok]

    def answer_features(self) -> list[tuple[object, dict]]:
        return [feature for outcome in self.rows for feature in outcome.features]

    def summary(self) -> dict:
        scored = len(self.meter.ious)
        return {"rows": len(self.rows), "answered": sum(r.ok for r in self.rows), "failed": len(self.failed),
                "scored": scored, "gIoU": self.meter.giou if scored else None,
                "cIoU": self.meter.ciou if scored else None, "encoder_calls": self.encoder_calls}


def _answer(source, segmenter, row: QuestionRow, request_options: dict, cache, progress, is_cancelled):
    from segearth_engine.pipeline.raster import SegmentationRequest, segment_raster

    request = SegmentationRequest(question=row.question, task=row.task, extent=row.extent, extent_crs=row.crs,
                                  **request_options)
    return segment_raster(source, segmenter, request, progress=progress, is_cancelled=is_cancelled, cache=cache)


def run_question_set(source, segmenter, rows: Sequence[QuestionRow], references: References | None = None,
                     cache=None, progress: Callable[[float, str], None] | None = None,
                     is_cancelled: Callable[[], bool] | None = None, match_iou: float = MATCH_IOU,
                     on_row: Callable[[int, RowOutcome], None] | None = None,
                     **request_options) -> QuestionSetResult:
    """Answer every row on `source`; `references(row, crs, region)` gives each row's reference polygons (None: not
    scored). `request_options` go to every SegmentationRequest (mode, bands, min_area, ...). Progress is reported
    per row ("row 3/10"); `on_row(index, outcome)` hears each finished row, failed ones included."""
    if cache is None:
        from segearth_engine.runtime.feature_cache import FeatureCache

        cache = FeatureCache()
    cancelled = is_cancelled or (lambda: False)
    report = progress or (lambda fraction, stage="": None)
    result = QuestionSetResult([], source.crs_wkt, IoUMeter())
    total = max(len(rows), 1)
    for index, row in enumerate(rows):
        if cancelled():
            raise Cancelled()
        stage = f"row {index + 1}/{len(rows)}"
        report(index / total, stage)
        outcome = _run_row(source, segmenter, row, references, request_options, cache, match_iou, cancelled,
                           lambda fraction, _stage="", i=index, text=stage: report(
                               (i + min(max(fraction, 0.0), 1.0)) / total, text))
        if outcome.scores is not None:
            overall = outcome.scores.overall
            result.meter.add_areas(overall.intersection_m2, overall.union_m2)
        result.encoder_calls += int(outcome.encoded)
        result.rows.append(outcome)
        if on_row is not None:
            on_row(index, outcome)
    report(1.0, "done")
    return result


def _run_row(source, segmenter, row: QuestionRow, references: References | None, request_options: dict, cache,
             match_iou: float, cancelled: Callable[[], bool], progress) -> RowOutcome:
    if row.error:
        return RowOutcome(row, error=row.error)
    started = time.perf_counter()
    try:
        answer = _answer(source, segmenter, row, request_options, cache, progress, cancelled)
        features = [(geometry, {"row_id": row.row_id, **attrs, "task": row.task})
                    for geometry, attrs in answer.features]
        scores = None
        refs = None
        if references is not None:
            region = row_region(row, source.crs_wkt)
            refs = references(row, source.crs_wkt, region)
        if refs is not None:
            scores = score_geometries([g for g, _ in features], [g for _, g in refs], source.crs_wkt, region,
                                      match_iou, reference_ids=[i for i, _ in refs])
        return RowOutcome(row, features, scores, seconds=time.perf_counter() - started,
                          encoded=answer.encoder_calls > 0)
    except Cancelled:
        raise
    except SegEarthError as exc:
        return RowOutcome(row, error=str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - one broken row must not lose the others
        return RowOutcome(row, error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)


class VectorFileReferences:
    """References from a vector file (fiona): per row, the features in its region passing the row's `ref_filter`
    (OGR SQL WHERE), else `default_filter`, moved to the raster's CRS."""

    def __init__(self, path: str | Path, layer: str | None = None, default_filter: str | None = None) -> None:
        import fiona

        self.path, self.layer, self.default_filter = str(path), layer, default_filter
        if not Path(self.path).exists():
            raise InputError(f"{self.path}: no such reference file")
        try:
            with fiona.open(self.path, layer=layer) as probe:
                self.crs_wkt = probe.crs_wkt or None
        except fiona.errors.FionaError as exc:
            raise InputError(f"{self.path} cannot be read as reference polygons: {exc}") from exc

    def __call__(self, row: QuestionRow, crs_wkt: str, region) -> list[tuple[object, object]]:
        import fiona
        from shapely.geometry import shape

        where = row.reference_filter or self.default_filter
        local = transform_geometry(region, crs_wkt, self.crs_wkt) if self.crs_wkt else region
        try:
            with fiona.open(self.path, layer=self.layer) as layer:
                found = [(feature.id, shape(feature["geometry"]))
                         for feature in layer.filter(bbox=local.bounds, where=where) if feature["geometry"]]
        except fiona.errors.FionaError as exc:
            raise InputError(f"reference filter {where!r} on {self.path}: {exc}") from exc
        return [(fid, transform_geometry(geometry, self.crs_wkt, crs_wkt)) for fid, geometry in found]


def replace_crs(rows: Iterable[QuestionRow], crs: str | None) -> list[QuestionRow]:
    """Rows whose extents have no CRS get `crs` (the raster's, for a CSV read without one)."""
    return [replace(row, crs=row.crs or crs) for row in rows]
