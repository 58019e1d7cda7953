"""Geospatial side of the engine: raster access, tiling, stitching, vectorisation, writers."""
