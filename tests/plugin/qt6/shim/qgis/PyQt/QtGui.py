"""PyQt6.QtGui as qgis.PyQt.QtGui."""

from PyQt6.QtGui import *  # noqa: F401, F403
