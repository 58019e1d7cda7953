"""PyQt6.QtTest as qgis.PyQt.QtTest."""

from PyQt6.QtTest import *  # noqa: F401, F403
