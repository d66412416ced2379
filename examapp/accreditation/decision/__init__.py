"""验收决定: the four checks side by side, the proposed result, the office's decision; the cycles'
settings and the accredited units of a year."""
