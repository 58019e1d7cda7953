"""The Processing provider and its algorithms (Segment raster by question, Answer a question set, Score against
reference), with checked outputs. They run the engine the dock's way (running/engine_run.py).

May import: common, packages, model, results, running, map_tools.
"""
