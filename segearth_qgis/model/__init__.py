"""Getting and loading the model: the folder check and the loaded model kept across runs (model_manager), the download
(its task and the panel's Download), the background preload, the first ONNX export in a child process, and the first
load shown as a stage of its own. The dock's widgets are handed in, never imported.

May import: common, packages.
"""
