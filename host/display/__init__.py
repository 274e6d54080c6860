"""Chinese text for the pads' 1-bit displays: glyph tables at build time, names at run time."""
