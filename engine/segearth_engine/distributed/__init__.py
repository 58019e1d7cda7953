"""Tiled runs on a Dask cluster: the single-process tile plan, computed by workers that hold the model.

Modules: cluster.py (connect or start a LocalCluster), worker.py (the model, loaded once per worker), tasks.py (what a
task computes for a batch of tiles), sidecar.py (progress and per-tile results next to the output, for --resume),
merge.py (per-cell blending and polygon merging across cell borders), runner.py (the client's loop).
Dask is imported only here, so the engine and the QGIS plugin run without it.
"""
