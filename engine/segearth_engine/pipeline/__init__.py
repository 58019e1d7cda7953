"""One question on a raster: extent -> view or tiles -> stitched logits -> polygons."""
