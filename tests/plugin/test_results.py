"""Result layers (CRS, fields, style, metadata, group) and export to Shapefile/GeoPackage read back by QGIS."""

from __future__ import annotations

import pytest
from qgis.core import QgsCoordinateReferenceSystem, QgsProject, QgsVectorLayer
from shapely.geometry import MultiPolygon, Polygon

from segearth_qgis.layers import GROUP_NAME, add_result_layer, build_result_layer, export_layer, is_result_layer

QUESTION = "où un petit avion peut-il atterrir ? 飞机"


def features():
    square = Polygon([(500100, 4599700), (500200, 4599700), (500200, 4599800), (500100, 4599800)])
    two = MultiPolygon([Polygon([(500000, 4599600), (500010, 4599600), (500010, 4599610)]),
                        Polygon([(500020, 4599600), (500030, 4599600), (500030, 4599610)])])
    attrs = {"question": QUESTION, "model": "tiny", "mode": "view", "area_m2": 10000.0, "mean_prob": 0.75}
    return [(square, attrs), (two, dict(attrs, area_m2=100.0, mean_prob=0.5))]


def make_layer():
    crs = QgsCoordinateReferenceSystem("EPSG:32633")
    return build_result_layer(features(), QUESTION, crs, {"model": "tiny", "revision": "abc123"})


def test_result_layer_fields_crs_style_metadata_group(project):
    layer = add_result_layer(make_layer())
    assert layer.isValid() and is_result_layer(layer)
    assert layer.crs().authid() == "EPSG:32633"
    assert layer.featureCount() == 2
    assert layer.fields().names() == ["question", "model", "mode", "area_m2", "mean_prob"]
    first = next(layer.getFeatures())
    assert first["question"] == QUESTION and first["area_m2"] == 10000.0
    assert abs(first.geometry().area() - 10000.0) < 1e-6
    assert layer.renderer().symbol().color().alpha() < 255  # semi-transparent fill
    metadata = layer.metadata()
    assert QUESTION in metadata.abstract() and "abc123" in metadata.abstract()
    assert "abc123" in metadata.keywords()["segearth"]
    group = QgsProject.instance().layerTreeRoot().findGroup(GROUP_NAME)
    assert group is not None and group.findLayer(layer.id()) is not None


@pytest.mark.parametrize("suffix", [".shp", ".gpkg"])
def test_export_reads_back(project, tmp_path, suffix):
    layer = make_layer()
    path = export_layer(layer, str(tmp_path / f"answer{suffix}"))
    back = QgsVectorLayer(path, "back", "ogr")
    assert back.isValid() and back.featureCount() == 2
    assert back.crs().authid() == "EPSG:32633"
    assert next(back.getFeatures())["question"] == QUESTION  # UTF-8 survives


def test_export_asks_before_overwriting(plugin, tmp_path, qgis_iface):
    from qgis.core import Qgis

    layer = make_layer()
    path = str(tmp_path / "answer.shp")
    assert plugin.export(layer, path) == path
    asked = []
    assert plugin.export(layer, path, confirm=lambda p: asked.append(p) or False) is None
    assert asked == [path]
    assert plugin.export(layer, path, confirm=lambda p: True) == path
    warnings = qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
    assert any("nothing was written" in m for m in warnings)
