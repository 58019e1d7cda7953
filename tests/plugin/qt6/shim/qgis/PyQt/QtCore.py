"""PyQt6.QtCore as qgis.PyQt.QtCore."""

from PyQt6.QtCore import *  # noqa: F401, F403
