"""PyQt6.QtWidgets as qgis.PyQt.QtWidgets."""

from PyQt6.QtWidgets import *  # noqa: F401, F403
