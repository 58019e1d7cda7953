"""Tiny, randomly initialised models in the release layouts, for tests and CI."""
