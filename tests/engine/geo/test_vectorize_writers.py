"""Polygons with holes, m² areas in metres and degrees, attributes, and the four output writers."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import box

from segearth_engine.errors import InputError, OutputExistsError
from segearth_engine.geo.area import area_function
from segearth_engine.geo.crs import ensure_proj_data
from segearth_engine.geo.store import DiskStore, MemoryStore
from segearth_engine.geo.vectorize import vectorise
from segearth_engine.geo.writers import truncate_utf8, write_mask_geotiff, write_vector

ensure_proj_data()
UTM = "EPSG:32633"
BASE = {"question": "q", "model": "m", "mode": "view"}


def _ring_logits() -> np.ndarray:
    """A 40x40 square answer with a 10x10 hole, logit 2 inside (p = 0.8808) and -2 elsewhere."""
    logits = np.full((100, 100), -2.0, np.float32)
    logits[20:60, 30:70] = 2.0
    logits[35:45, 45:55] = -2.0
    return logits


@pytest.mark.parametrize("store_kind", ["memory", "disk"])
def test_polygon_with_hole_area_and_mean_probability(store_kind):
    transform = Affine(2, 0, 1000, 0, -2, 5000)  # 2 m pixels
    store = MemoryStore(100, 100, transform) if store_kind == "memory" else DiskStore(100, 100, transform, UTM)
    try:
        store.write_rows(0, _ring_logits(), np.ones((100, 100), bool))
        (polygon, attrs), = vectorise(store, "EPSG:32633", BASE)
    finally:
        store.close()
    assert len(polygon.interiors) == 1
    assert polygon.area == pytest.approx((40 * 40 - 10 * 10) * 4)
    assert attrs["area_m2"] == pytest.approx(6000)
    assert attrs["mean_prob"] == pytest.approx(1 / (1 + np.exp(-2)), abs=3e-3)  # disk store: 1/255 steps
    assert polygon.bounds == (1000 + 30 * 2, 5000 - 60 * 2, 1000 + 70 * 2, 5000 - 20 * 2)
    assert {k: attrs[k] for k in BASE} == BASE


def test_disk_store_agrees_with_memory_store_polygon_by_polygon(monkeypatch):
    """Many regions of different probabilities, some spanning several strips of the disk store's zonal pass, one with
    a hole holding another region: same polygons, same pixel counts, means equal up to the file's 1/255 steps."""
    from segearth_engine.geo import store as store_module

    monkeypatch.setattr(store_module, "ZONAL_STRIP_PIXELS", 16 * 90)  # strips of 16 rows on this 90 px wide grid
    rng = np.random.default_rng(5)
    logits = np.where(rng.random((120, 90)) < 0.35, 1.0, -1.0).astype(np.float32) * rng.uniform(0.1, 4, (120, 90))
    logits[40:100, 10:50] = np.linspace(0.2, 5.0, 40, dtype=np.float32)  # a tall region across strips ...
    logits[60:70, 20:30] = -3.0  # ... with a hole ...
    logits[63:67, 23:27] = 3.0  # ... holding an island
    valid = np.ones(logits.shape, bool)
    valid[:, -5:] = False
    transform = Affine(0.5, 0.1, 300, 0.1, -0.5, 900)  # rotated grid
    results = {}
    for kind, store in (("memory", MemoryStore(120, 90, transform)), ("disk", DiskStore(120, 90, transform, UTM))):
        try:
            store.write_rows(0, logits, valid)
            results[kind] = sorted(((round(g.bounds[0], 6), round(g.bounds[1], 6), round(g.area, 6)), a["pixels"],
                                    a["mean_prob"]) for g, a in vectorise(store, UTM, BASE))
        finally:
            store.close()
    memory, disk = results["memory"], results["disk"]
    assert len(memory) == len(disk) > 50
    for (key_m, pixels_m, prob_m), (key_d, pixels_d, prob_d) in zip(memory, disk, strict=True):
        assert key_m == key_d and pixels_m == pixels_d
        assert prob_d == pytest.approx(prob_m, abs=0.5 / 255 + 1e-4)  # + both sides rounded to 4 decimals


def test_min_area_simplify_and_invalid_pixels():
    logits = np.full((100, 100), -3.0, np.float32)
    logits[10:12, 10:12] = 3.0  # 4 px = 16 m²
    logits[50:90, 20:80] = 3.0
    valid = np.ones((100, 100), bool)
    valid[:, 70:] = False  # nodata: never part of an answer
    store = MemoryStore(100, 100, Affine(2, 0, 0, 0, -2, 0))
    store.write_rows(0, logits, valid)
    kept = vectorise(store, UTM, BASE, min_area_m2=100)
    assert len(kept) == 1 and kept[0][1]["area_m2"] == pytest.approx(40 * 50 * 4)
    assert len(vectorise(store, UTM, BASE)) == 2
    simplified = vectorise(store, UTM, BASE, simplify=5.0)
    assert all(g.is_valid for g, _ in simplified)


def test_geodesic_area_in_degrees_and_feet():
    one_degree = box(0, 0, 1, 1)  # at the equator on WGS84: 12,308.78 km² (geodesic)
    assert area_function("EPSG:4326")(one_degree) == pytest.approx(12308.78e6, rel=1e-4)
    # sphere: (sin 61° - sin 60°) / sin 1° = 0.4924 of the equator cell = 6.061e9; the ellipsoid adds ~1 %
    assert area_function("EPSG:4326")(box(0, 60, 1, 61)) == pytest.approx(6.061e9, rel=0.02)
    feet = "EPSG:2263"  # NY Long Island, US survey feet
    assert area_function(feet)(box(0, 0, 1000, 1000)) == pytest.approx(1000 * 1000 * 0.3048006 ** 2, rel=1e-5)
    with pytest.raises(InputError, match="no coordinate reference system"):
        area_function("")


def _features():
    return [(box(0, 0, 10, 10), {**BASE, "question": "où sont les éoliennes ?", "area_m2": 100.0,
                                  "mean_prob": 0.7, "pixels": 25})]


def test_geopackage_is_version_1_3_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "a.gpkg"
    write_vector(out, _features(), UTM)
    conn = sqlite3.connect(out)
    assert conn.execute("pragma user_version").fetchone()[0] == 10300
    conn.close()
    import fiona

    with fiona.open(out) as src:
        (feature,) = list(src)
        assert feature["properties"]["question"] == "où sont les éoliennes ?"
        assert src.crs_wkt and "32633" in src.crs.to_string()
    with pytest.raises(OutputExistsError):
        write_vector(out, _features(), UTM)
    write_vector(out, [], UTM, base_attrs=BASE, overwrite=True)
    with fiona.open(out) as src:
        assert len(src) == 0 and list(src.schema["properties"])[:3] == ["question", "model", "mode"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg"]  # no staging leftovers


def test_shapefile_utf8_short_names_long_question(tmp_path):
    long_question = "Which fields near the river " + "é" * 300 + " flooded?"
    feats = [(box(0, 0, 1, 1), {**BASE, "question": long_question, "area_m2": 1.0, "mean_prob": 0.5})]
    out = write_vector(tmp_path / "answer.shp", feats, UTM, base_attrs=BASE, details={"task": "reasoning"})
    assert (tmp_path / "answer.cpg").read_text().strip().upper() in ("UTF-8", "UTF8")
    import fiona

    with fiona.open(out) as src:
        assert all(len(name) <= 10 for name in src.schema["properties"])
        text = next(iter(src))["properties"]["question"]
    assert text.endswith("…") and long_question.startswith(text[:-1]) and len(text.encode()) <= 254
    sidecar = json.loads((tmp_path / "answer.segearth.json").read_text(encoding="utf-8"))
    assert sidecar["question"] == "q" and sidecar["task"] == "reasoning"
    assert truncate_utf8("é" * 200) == "é" * 125 + "…"  # 254 - 3 bytes of "…" = 251: 125 two-byte "é"


def test_geojson_and_mask_geotiff(tmp_path):
    import rasterio

    write_vector(tmp_path / "a.geojson", _features(), UTM)
    data = json.loads((tmp_path / "a.geojson").read_text(encoding="utf-8"))
    assert data["features"][0]["properties"]["mean_prob"] == 0.7
    mask = np.zeros((50, 60), np.uint8)
    mask[10:20, 10:20] = 1
    mask[:, 55:] = 255
    write_mask_geotiff(tmp_path / "m.tif", mask, Affine(5, 0, 100, 0, -5, 200), UTM)
    with rasterio.open(tmp_path / "m.tif") as ds:
        assert ds.nodata == 255 and ds.crs.to_epsg() == 32633 and ds.transform.a == 5
        assert (ds.read(1) == mask).all()


def test_unwritable_or_missing_folder_and_unknown_format(tmp_path):
    with pytest.raises(InputError, match="not writable"):
        write_vector("/proc/segearth-test.gpkg", _features(), UTM)  # read-only even for root
    with pytest.raises(InputError, match="does not exist"):
        write_vector(tmp_path / "nope" / "a.gpkg", _features(), UTM)
    with pytest.raises(InputError, match="vector outputs are"):
        write_vector(tmp_path / "a.xyz", _features(), UTM)


def test_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "a.gpkg"
    write_vector(out, _features(), UTM)
    before = out.read_bytes()
    # a lone surrogate has no UTF-8 form: every fiona fails on it (1.10 writes an object() as its str())
    bad = [(box(0, 0, 1, 1), {**BASE, "question": "\udcff"})]
    with pytest.raises(Exception):  # noqa: B017 - whatever fiona raises, nothing may change on disk
        write_vector(out, bad, UTM, overwrite=True)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg"]


def test_bounded_gdal_cache_is_megabytes_not_bytes():
    from osgeo import gdal

    from segearth_engine.geo.gdal_env import GDAL_CACHE_MB, bounded_cache

    with bounded_cache():
        assert gdal.GetCacheMax() == GDAL_CACHE_MB * 1024 * 1024
