"""Where and how the graphs and the LLM run.

ONNX Runtime sessions, fp16 graphs, GPU memory, heap, LLM precision, feature cache.
"""
