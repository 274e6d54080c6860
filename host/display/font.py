"""The one CJK font both the pad's glyph tables and the host's name bitmaps come from.

MicroPython has no CJK font, so Chinese reaches the pad's 128×64 1-bit display as
bitmaps rasterized here with Pillow from WenQuanYi Zen Hei (Debian ``fonts-wqy-zenhei``):
its "Sharp" face carries hand-tuned bitmap strikes at 12 and 16 px, which stay legible on
a 1-bit panel where outline fonts smear.  ASCII comes from the same file's half-width
"Mono" face.  Each character is drawn into a fixed cell (CJK: size × size; ASCII:
half width), so the pad's fixed phrases and the host's names look the same.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_ENV = "EVALPAD_CJK_FONT"
FONT_PACKAGE = "fonts-wqy-zenhei"
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),   # other distributions
)
FACE_ASCII = 1   # WenQuanYi Zen Hei Mono: half-width Latin
FACE_CJK = 2     # WenQuanYi Zen Hei Sharp: embedded bitmap strikes at 12 and 16 px


class FontMissing(RuntimeError):
    """The CJK font is not installed; the message says how to install it."""


class Cell:
    """How one glyph size is drawn: cell height, widths and where the baseline sits.

    The offsets were chosen by measuring every glyph's ink (``scripts/build-glyphs
    --check`` refuses a table where a glyph would be clipped by the cell).
    """

    def __init__(self, height: int, cjk_y: int, ascii_size: int, ascii_width: int,
                 ascii_baseline: int) -> None:
        self.height = height
        self.cjk_width = height
        self.cjk_y = cjk_y                  # Sharp's ideographs start 2 rows below the origin
        self.ascii_size = ascii_size        # smaller than the cell: Latin ascenders+descenders
        self.ascii_width = ascii_width      # fit in it and sit on the CJK baseline
        self.ascii_baseline = ascii_baseline


CELLS = {
    16: Cell(16, cjk_y=-2, ascii_size=14, ascii_width=7, ascii_baseline=13),
    12: Cell(12, cjk_y=-2, ascii_size=11, ascii_width=6, ascii_baseline=10),
}


def font_path() -> Path:
    """The font file, or FontMissing saying how to get it."""
    override = os.environ.get(FONT_ENV)
    candidates = [Path(override)] if override else list(FONT_PATHS)
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing(
        "the CJK font WenQuanYi Zen Hei is not installed (looked in {}): run "
        "`apt-get install {}` (./dev setup does) or point {} at wqy-zenhei.ttc".format(
            ", ".join(str(p) for p in candidates), FONT_PACKAGE, FONT_ENV))


@lru_cache(maxsize=8)
def _face(size: int, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size, index=index)


def rasterizer() -> tuple[str, str]:
    """(Pillow version, FreeType version): ASCII comes from outlines, whose 1-bit
    rasterization can change with FreeType; CJK comes from the font's bitmap strikes."""
    import PIL
    from PIL import features

    return PIL.__version__, str(features.version("freetype2"))


def is_ascii(ch: str) -> bool:
    return ord(ch) < 128


def char_width(ch: str, size: int) -> int:
    cell = CELLS[size]
    return cell.ascii_width if is_ascii(ch) else cell.cjk_width


def draw_char(ch: str, size: int) -> Image.Image:
    """One character in its cell as a mode "1" image (1 = lit pixel)."""
    return _draw(ch, size, CELLS[size].height, 0)


def ink_outside_cell(ch: str, size: int) -> int:
    """How many lit pixels the cell would cut off (0 for a well-placed glyph)."""
    margin = 8
    big = _draw(ch, size, CELLS[size].height + 2 * margin, margin)
    inside = big.crop((0, margin, big.width, margin + CELLS[size].height))
    return _lit(big) - _lit(inside)


def _lit(img: Image.Image) -> int:
    return img.histogram()[255]     # mode "1": lit pixels are 255


def _draw(ch: str, size: int, height: int, top: int) -> Image.Image:
    cell = CELLS[size]
    img = Image.new("1", (char_width(ch, size), height), 0)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"     # no anti-aliasing: the panel has one bit per pixel
    if is_ascii(ch):
        draw.text((0, top + cell.ascii_baseline), ch, font=_face(cell.ascii_size, FACE_ASCII),
                  fill=1, anchor="ls")
    else:
        draw.text((0, top + cell.cjk_y), ch, font=_face(size, FACE_CJK), fill=1)
    return img


def draw_line(text: str, size: int) -> Image.Image:
    """A whole string, one cell after another (what the pad does with its glyph tables)."""
    width = sum(char_width(ch, size) for ch in text)
    img = Image.new("1", (max(width, 1), CELLS[size].height), 0)
    x = 0
    for ch in text:
        img.paste(draw_char(ch, size), (x, 0))
        x += char_width(ch, size)
    return img


def to_vlsb(img: Image.Image) -> bytes:
    """SSD1306 page layout (framebuf MONO_VLSB): per 8-row page, one byte per column, LSB on top."""
    width, height = img.size
    px = img.load()
    out = bytearray()
    for page in range((height + 7) // 8):
        for x in range(width):
            byte = 0
            for bit in range(8):
                y = page * 8 + bit
                if y < height and px[x, y]:  # type: ignore[index]
                    byte |= 1 << bit
            out.append(byte)
    return bytes(out)


def to_hlsb(img: Image.Image) -> bytes:
    """Rows top to bottom, ceil(width/8) bytes each, MSB = leftmost pixel (framebuf MONO_HLSB)."""
    return img.convert("1").tobytes()
