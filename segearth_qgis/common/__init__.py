"""What every room shares: the translation (one Qt context), settings, the plugin's data paths, the message bar, a QGIS
CRS as the engine's WKT, sizes and durations in words, cancel within a fraction of a second (cancellable), a one-
function background task, and the plugin's own words for the engine's faults.

May import: nothing of the plugin (the bottom room).
"""
