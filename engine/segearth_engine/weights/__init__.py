"""Model files: safetensors reading, checkpoint naming and strict loading, hub download and manifest."""
