"""SegEarth engine: geospatial pixel reasoning (SegEarth-R1) without Qt or QGIS.

Heavy dependencies (torch, transformers, onnxruntime) are imported lazily by the modules that need them,
so that `import segearth_engine` stays cheap and can report what is missing. Callers use the front,
`segearth_engine.api`; the rooms behind it are internal (README "Architecture map").
"""

__version__ = "0.1.0"
