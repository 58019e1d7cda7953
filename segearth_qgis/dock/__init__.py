"""The dock and its panels: the question form, its history, the model section (folder, Download, progress, status,
options), the first-run guide and small widgets. It builds a frozen request and runs nothing itself.

May import: common, packages, model, results, running, map_tools.
"""
