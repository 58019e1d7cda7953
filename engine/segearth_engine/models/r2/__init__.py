"""SegEarth-R2: Phi-2 + SigLIP + Swin/Mask2Former; one decoder query per [SEG] in the generated answer."""
