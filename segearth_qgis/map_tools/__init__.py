"""The canvas: the rectangle tool, a canvas rectangle as a pixel-aligned extent in the raster's CRS, and the toolbar's
two extents (drawn, visible) on which the dock's question is asked.

May import: common, packages, model, results, running.
"""
