"""Board files: one per hardware variant, each a HAL (see firmware/hal/__init__.py)."""
