"""Model families side by side (SegEarth-R1, SegEarth-R2)."""
