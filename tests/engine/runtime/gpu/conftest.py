"""Fixtures of the GPU-path tests."""

from __future__ import annotations

import pytest

from .oom_source import make_limited_session


@pytest.fixture(scope="session")
def limited_session():
    """A real ORT session whose CPU arena holds at most 1 MB (see oom_source)."""
    return make_limited_session()
