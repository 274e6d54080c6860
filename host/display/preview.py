"""Pictures of what a pad's display shows: a 1024-byte MONO_VLSB buffer as a PNG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

WIDTH = 128
HEIGHT = 64
LIT = (120, 200, 255)     # the blue-white of a typical SSD1306 panel
DARK = (8, 8, 16)
SCALE = 4                 # one panel pixel -> a 4x4 block, big enough to read the glyphs


def buffer_to_image(buf: bytes, scale: int = SCALE) -> Image.Image:
    if len(buf) != WIDTH * HEIGHT // 8:
        raise ValueError("a screen buffer has {} bytes, got {}".format(WIDTH * HEIGHT // 8, len(buf)))
    img = Image.new("RGB", (WIDTH, HEIGHT), DARK)
    px = img.load()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            if (buf[(y >> 3) * WIDTH + x] >> (y & 7)) & 1:
                px[x, y] = LIT  # type: ignore[index]
    # A one-pixel gap between panel pixels, as on the real glass.
    big = img.resize((WIDTH * scale, HEIGHT * scale), Image.Resampling.NEAREST)
    if scale >= 3:
        grid = big.load()
        for y in range(big.height):
            for x in range(big.width):
                if x % scale == scale - 1 or y % scale == scale - 1:
                    grid[x, y] = DARK  # type: ignore[index]
    return big


def save_png(buf: bytes, path: Path, scale: int = SCALE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer_to_image(buf, scale).save(path)
    return path
