"""The expected pixels of a screen, computed from the glyph tables alone.

Independent of firmware/pad/screen.py's drawing code: glyphs are decoded straight from
glyphs.py's MONO_VLSB bytes, so a test comparing a screen buffer against these sets
checks every pixel that the real MicroPython interpreter drew.
"""

from __future__ import annotations

from firmware.pad import glyphs

WIDTH = 128
HEIGHT = 64
Pixels = set[tuple[int, int]]

_TABLES = {16: "L", 12: "S"}


def _table(size: int, ch: str) -> tuple[str, int, bytes, int]:
    p = _TABLES[size]
    kind = "ASCII" if ord(ch) < 128 else "CJK"
    chars = getattr(glyphs, "{}_{}".format(p, kind))
    return chars, getattr(glyphs, "{}_{}_W".format(p, kind)), getattr(glyphs, "{}_{}_DATA".format(
        p, kind)), getattr(glyphs, "{}_PAGES".format(p))


def char_width(ch: str, size: int) -> int:
    return _table(size, ch)[1]


def text_width(text: str, size: int) -> int:
    return sum(char_width(ch, size) for ch in text)


def glyph(ch: str, size: int) -> Pixels:
    chars, w, data, pages = _table(size, ch)
    i = chars.index(ch)          # ValueError: the character has no glyph
    off = i * w * pages
    out: Pixels = set()
    for page in range(pages):
        for x in range(w):
            byte = data[off + page * w + x]
            for bit in range(8):
                if byte >> bit & 1:
                    out.add((x, page * 8 + bit))
    return out


def text(s: str, size: int, x: int, y: int) -> Pixels:
    out: Pixels = set()
    for ch in s:
        out |= {(x + gx, y + gy) for gx, gy in glyph(ch, size)}
        x += char_width(ch, size)
    return {(px, py) for px, py in out if 0 <= px < WIDTH and 0 <= py < HEIGHT}


def centered(s: str, size: int, y: int) -> Pixels:
    return text(s, size, (WIDTH - text_width(s, size)) // 2, y)


def rect(x: int, y: int, w: int, h: int) -> Pixels:
    return {(px, py) for px in range(x, x + w) for py in range(y, y + h)}


def image(img: object, x: int, y: int) -> Pixels:
    """Lit pixels of a PIL mode "1" image placed at (x, y)."""
    w, h = img.size  # type: ignore[attr-defined]
    return {(x + px, y + py) for py in range(h) for px in range(w) if img.getpixel((px, py))}  # type: ignore[attr-defined]


def lit(buf: bytes) -> Pixels:
    """Lit pixels of a 1024-byte MONO_VLSB screen buffer."""
    assert len(buf) == WIDTH * HEIGHT // 8
    return {(x, y) for y in range(HEIGHT) for x in range(WIDTH)
            if buf[(y >> 3) * WIDTH + x] >> (y & 7) & 1}
