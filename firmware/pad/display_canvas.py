"""Plain-Python drawing into a 128×64 MONO_VLSB buffer (the SSD1306 page layout).

Used where the port has no ``framebuf`` (and under CPython); on the ESP32 the display
draws through ``display_fb.FrameCanvas`` instead, which gives the same pixels (a test
compares them).  Kept apart so a pad with framebuf does not spend RAM on this code.
"""

WIDTH = 128
HEIGHT = 64
PAGES = HEIGHT // 8


def get_pixel(buf, x, y):
    return (buf[(y >> 3) * WIDTH + x] >> (y & 7)) & 1


def set_pixel(buf, x, y, on=1):
    if 0 <= x < WIDTH and 0 <= y < HEIGHT:
        i = (y >> 3) * WIDTH + x
        if on:
            buf[i] |= 1 << (y & 7)
        else:
            buf[i] &= ~(1 << (y & 7)) & 0xFF


def fill_rect(buf, x, y, w, h, dark=False):
    """Light (or, with dark, clear) a rectangle; clipped to the screen."""
    x0, x1 = max(x, 0), min(x + w, WIDTH)
    y0, y1 = max(y, 0), min(y + h, HEIGHT)
    for page in range(y0 >> 3, (y1 + 7) >> 3):
        top, bottom = max(y0 - page * 8, 0), min(y1 - page * 8, 8)
        mask = ((1 << bottom) - 1) & ~((1 << top) - 1) & 0xFF
        keep = ~mask & 0xFF
        base = page * WIDTH
        for col in range(base + x0, base + x1):
            buf[col] = (buf[col] & keep) if dark else (buf[col] | mask)


def blit_vlsb(buf, x, y, data, off, w, pages, dark=False):
    """Copy a MONO_VLSB bitmap (``pages`` pages of ``w`` bytes at ``data[off]``) to (x, y).

    Its lit pixels light ``buf`` (or, with dark, clear it: dark text on a lit band); its
    unlit pixels leave ``buf`` alone; pixels off the screen are dropped.  y need not be a
    multiple of 8.
    """
    shift = y & 7
    for gp in range(pages):
        page = (y >> 3) + gp
        row = off + gp * w
        for c in range(w):
            col = x + c
            b = data[row + c]
            if not b or col < 0 or col >= WIDTH:
                continue
            lo = (b << shift) & 0xFF
            if 0 <= page < PAGES and lo:
                i = page * WIDTH + col
                buf[i] = (buf[i] & ~lo & 0xFF) if dark else (buf[i] | lo)
            if shift and 0 <= page + 1 < PAGES:
                hi = b >> (8 - shift)
                if hi:
                    i = (page + 1) * WIDTH + col
                    buf[i] = (buf[i] & ~hi & 0xFF) if dark else (buf[i] | hi)


def blit_hlsb(buf, x, y, w, h, data):
    """Light the lit pixels of a MONO_HLSB bitmap (rows of ceil(w/8) bytes, MSB = leftmost)."""
    stride = (w + 7) >> 3
    for row in range(h):
        py = y + row
        if py < 0 or py >= HEIGHT:
            continue
        i = (py >> 3) * WIDTH
        bit = 1 << (py & 7)
        base = row * stride
        for bx in range(stride):
            b = data[base + bx]
            if not b:
                continue
            for k in range(8):
                if b & (0x80 >> k):
                    px = x + (bx << 3) + k
                    if px - x < w and 0 <= px < WIDTH:
                        buf[i + px] |= bit


class Canvas:
    """Drawing into one MONO_VLSB buffer in plain Python (any port, and CPython)."""

    def __init__(self, buf):
        self.buf = buf

    def clear(self):
        buf = self.buf
        for i in range(len(buf)):
            buf[i] = 0

    def fill_rect(self, x, y, w, h, dark=False):
        fill_rect(self.buf, x, y, w, h, dark)

    def glyph(self, x, y, data, off, w, pages, dark=False):
        blit_vlsb(self.buf, x, y, data, off, w, pages, dark)

    def bitmap(self, x, y, w, h, data):
        blit_hlsb(self.buf, x, y, w, h, data)
