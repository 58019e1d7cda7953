"""Model families side by side (r1/: SegEarth-R1, r2/: SegEarth-R2) behind one Segmenter protocol (base.py);
families.py reads a folder's family and loads it."""
