"""A question in the background: the frozen request, the QgsTask and its stages, the one way to run the engine (shared
with Processing), the QGIS raster source, the view prepared while the user types, what a run was asked on
(ownership), the question's language, and the question runner that takes a request from the dock to a result layer.

May import: common, packages, model, results.
"""
