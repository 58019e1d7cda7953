"""Answer mask -> polygons with holes, simplified and filtered by area, with the attributes users see."""

from __future__ import annotations

from collections.abc import Callable

from segearth_engine.geo.area import area_function


def vectorise(store, crs_wkt: str, base_attrs: dict, simplify: float = 0.0, min_area_m2: float = 0.0,
              is_cancelled: Callable[[], bool] | None = None) -> list[tuple[object, dict]]:
    """(shapely polygon, attributes) per connected answer region of `store`, in the store's CRS.

    `simplify` is a tolerance in map units (Douglas-Peucker, topology kept); `min_area_m2` drops smaller polygons
    (area measured after simplifying). mean_prob is the mean sigmoid(logit) over the region's pixels.
    """
    from shapely.geometry import shape

    from segearth_engine.errors import Cancelled

    area_of = area_function(crs_wkt)
    features = []
    for index, (geom, mean_prob, pixels) in enumerate(store.components()):
        if is_cancelled is not None and index % 256 == 0 and is_cancelled():
            raise Cancelled()
        polygon = shape(geom)
        if simplify > 0:
            polygon = polygon.simplify(simplify, preserve_topology=True)
            if not polygon.is_valid:
                polygon = polygon.buffer(0)
            if polygon.is_empty:
                continue
        area = area_of(polygon)
        if area < min_area_m2:
            continue
        attrs = dict(base_attrs)
        attrs.update(area_m2=round(float(area), 3), mean_prob=round(float(mean_prob), 4), pixels=pixels)
        features.append((polygon, attrs))
    return features
