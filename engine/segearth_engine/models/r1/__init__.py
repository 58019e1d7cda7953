"""SegEarth-R1: config, preprocessing, prompt, modules, loading, ONNX export and its Segmenter."""
