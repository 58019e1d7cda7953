"""Scoring answers as the papers' code does (EarthReason, LaSeRS)."""
