"""What a question leaves in the project: the result layers (styled, per target), the answer's text, Export… (plan,
background task, the dock's flow and the layer menu's action) and scoring against a reference (the dock's panel and
the QGIS side of the engine's scores).

May import: common, packages, model.
"""
