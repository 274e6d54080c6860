"""What the pad's 128×64 1-bit display shows in each mode, in Chinese (显示屏).

MicroPython has no CJK font: the fixed phrases come pre-rendered from ``glyphs.py``
(``scripts/build-glyphs``) and the names no phrase covers (window, staff) come from the
host as bitmaps in the ``display`` command (``window_bmp``/``staff_bmp``, format
"WxH:base64", see ``decode_bitmap``).  Everything is drawn into one 1024-byte MONO_VLSB
buffer (the SSD1306 page layout) through framebuf where the port has it
(``display_fb``), else in plain Python (``display_canvas``), and handed to
``display.show(buf)``; the screen is redrawn only when the mode or what it shows changed.

    screen = Screen(hal.display)
    screen.show("serving", {"window": "12", "staff_id": "1024", "online": True, "buffered": 0})
"""

import binascii
import sys

from firmware.pad import display_text as text
from firmware.pad import glyphs

WIDTH = 128
HEIGHT = 64
PAGES = HEIGHT // 8
BUF_SIZE = WIDTH * PAGES             # 1024 bytes: the whole screen, reused for every redraw
MAX_BMP_H = 16                       # a host bitmap is one line of 12 or 16 px text

MODES = ("serving", "prompt", "thanks", "reason", "paused", "fault", "offline-boot")
FIVE_MODES = ("prompt", "thanks", "reason")   # drawn by display_five on a five-key pad
# level, five: a five-key pad's (issue 16) last level, and that it has five keys.
INFO_KEYS = ("window", "staff", "staff_id", "online", "buffered", "fault", "window_bmp",
             "staff_bmp", "rating", "level", "five")

# Layout rows (y of each band's top); the bands are 16 + 2 + 12 + 4 + 16 + 2 + 12 = 64 px.
HEADER_Y = 0          # window name, 16 px
RULE_Y = 16           # a line under the header
LINE_Y = 18           # staff / fault label, 12 px
MAIN_Y = 34           # the mode, 16 px
BAND_Y = 32           # inverted band behind the mode when paused or faulty
BAND_H = 20
PROMPT_Y = 18         # prompt: the question higher up ...
KEYS_Y = 35           # ... and the two rating keys below it
THANKS_Y = 20         # thanks: 16 px, then the rating chosen in 12 px
CHOSEN_Y = 38
STATUS_Y = 52         # online/offline and how many events wait to be sent, 12 px


class Font:
    """One glyph size: a CJK table and an ASCII table, fixed cell widths."""

    def __init__(self, height, pages, cjk, cjk_w, cjk_data, ascii_chars, ascii_w, ascii_data):
        self.height = height
        self.pages = pages
        self.cjk = cjk
        self.cjk_w = cjk_w
        self.cjk_data = cjk_data
        self.ascii = ascii_chars
        self.ascii_w = ascii_w
        self.ascii_data = ascii_data

    def width(self, ch):
        return self.ascii_w if ord(ch) < 128 else self.cjk_w

    def glyph(self, ch):
        """(data, offset, width) of a character, or None if the tables lack it."""
        if ord(ch) < 128:
            i = self.ascii.find(ch)
            w, data = self.ascii_w, self.ascii_data
        else:
            i = self.cjk.find(ch)
            w, data = self.cjk_w, self.cjk_data
        if i < 0:
            return None
        return data, i * w * self.pages, w


LARGE = Font(glyphs.L_H, glyphs.L_PAGES, glyphs.L_CJK, glyphs.L_CJK_W, glyphs.L_CJK_DATA,
             glyphs.L_ASCII, glyphs.L_ASCII_W, glyphs.L_ASCII_DATA)
SMALL = Font(glyphs.S_H, glyphs.S_PAGES, glyphs.S_CJK, glyphs.S_CJK_W, glyphs.S_CJK_DATA,
             glyphs.S_ASCII, glyphs.S_ASCII_W, glyphs.S_ASCII_DATA)


# ---- canvas -------------------------------------------------------------------------

def new_buffer():
    return bytearray(BUF_SIZE)


def make_canvas(buf):
    """The fastest canvas this port offers: framebuf's C blits, else plain Python."""
    try:
        from firmware.pad.display_fb import FrameCanvas
    except ImportError:
        from firmware.pad.display_canvas import Canvas
        return Canvas(buf)
    return FrameCanvas(buf)


# ---- text ---------------------------------------------------------------------------

def text_width(s, font):
    n = 0
    for ch in s:
        n += font.width(ch)
    return n


def fit(s, font, max_w):
    """``s`` cut to ``max_w`` pixels, ending in "…" if it had to be cut."""
    if text_width(s, font) <= max_w:
        return s
    room = max_w - font.width(text.ELLIPSIS)
    out = ""
    for ch in s:
        if text_width(out + ch, font) > room:
            break
        out += ch
    return out + text.ELLIPSIS


def draw_text(canvas, x, y, s, font, dark=False):
    """Draw ``s`` with its top-left at (x, y) on a Canvas; return the x after it.

    A character the tables lack is drawn as an empty box, so a missing glyph is visible
    rather than silently dropped.
    """
    for ch in s:
        g = font.glyph(ch)
        w = font.width(ch)
        if g is None:
            _box(canvas, x + 1, y + 1, w - 2, font.height - 3, dark)
        else:
            canvas.glyph(x, y, g[0], g[1], g[2], font.pages, dark)
        x += w
    return x


def _box(canvas, x, y, w, h, dark):
    canvas.fill_rect(x, y, w, 1, dark)
    canvas.fill_rect(x, y + h - 1, w, 1, dark)
    canvas.fill_rect(x, y + 1, 1, h - 2, dark)
    canvas.fill_rect(x + w - 1, y + 1, 1, h - 2, dark)


def draw_centered(canvas, y, s, font, dark=False):
    s = fit(s, font, WIDTH)
    return draw_text(canvas, (WIDTH - text_width(s, font)) // 2, y, s, font, dark)


def render_text(s, font):
    """``s`` alone as (width, MONO_VLSB bytearray of font.pages pages)."""
    w = text_width(s, font)
    out = bytearray(w * font.pages)
    x = 0
    for ch in s:
        g = font.glyph(ch)
        cw = font.width(ch)
        if g is not None:
            data, off = g[0], g[1]
            for p in range(font.pages):
                out[p * w + x:p * w + x + cw] = data[off + p * cw:off + (p + 1) * cw]
        x += cw
    return w, out


# ---- host bitmaps -------------------------------------------------------------------

def decode_bitmap(s, max_w=WIDTH, max_h=MAX_BMP_H):
    """"WxH:base64" -> (w, h, MONO_HLSB bytes); ValueError says what is wrong.

    The host renders names no fixed phrase covers (host/display/render.py): rows top to
    bottom, ceil(W/8) bytes per row, most significant bit = leftmost pixel, 1 = lit.
    """
    if type(s) is not str:
        raise ValueError("bitmap must be a string 'WxH:base64'")
    parts = s.split(":", 1)
    size = parts[0].split("x")
    if len(parts) != 2 or len(size) != 2:
        raise ValueError("bitmap must look like 'WxH:base64', got {!r}".format(s[:20]))
    try:
        w, h = int(size[0]), int(size[1])
    except ValueError:
        raise ValueError("bitmap size {!r} is not WxH in pixels".format(parts[0]))
    if not (1 <= w <= max_w and 1 <= h <= max_h):
        raise ValueError("bitmap {}x{} does not fit {}x{}".format(w, h, max_w, max_h))
    b64 = parts[1]
    # Check the alphabet first: ports differ in what a2b_base64 lets through or raises.
    if len(b64) % 4 or not _is_base64(b64):
        raise ValueError("bitmap data is not base64")
    try:
        data = binascii.a2b_base64(b64.encode())
    except Exception:
        raise ValueError("bitmap data is not base64")
    need = ((w + 7) >> 3) * h
    if len(data) != need:
        raise ValueError("bitmap {}x{} needs {} bytes, got {}".format(w, h, need, len(data)))
    return w, h, data


# ---- screens ------------------------------------------------------------------------

class Screen:
    """Draws each mode of the pad into one buffer and shows it when something changed."""

    def __init__(self, display):
        self.display = display
        self.buf = new_buffer()
        self._last = None
        self.canvas = make_canvas(self.buf)
        self._decoded = {}           # box height -> (bitmap string, decoded): window 16, staff 12
        self.bmp_errors = 0          # host bitmaps refused (the core may report them)
        self.last_error = None

    def invalidate(self):
        """Force the next show() to redraw (e.g. after the display was re-initialised)."""
        self._last = None

    def show(self, mode, info=None):
        """Draw ``mode`` with ``info``; returns True if the display was updated."""
        info = info or {}
        key = (mode,) + tuple(info.get(k) for k in INFO_KEYS)  # noqa: RUF005 - MicroPython has no (a, *b)
        if key == self._last:
            return False
        self.draw(mode, info)
        self.display.show(self.buf)     # may raise: then the next show() tries again
        self._last = key
        return True

    def draw(self, mode, info):
        """Draw into self.buf without showing it."""
        if mode not in MODES:
            raise ValueError("unknown display mode {!r}; one of {}".format(mode, ", ".join(MODES)))
        c = self.canvas
        c.clear()
        self._header(info)
        c.fill_rect(0, RULE_Y, WIDTH, 1)
        if info.get("five") and mode in FIVE_MODES:
            from firmware.pad import display_five  # a five-key pad's screens (issue 16)
            display_five.draw(sys.modules[__name__], c, mode, info)
        elif mode == "prompt":
            draw_centered(c, PROMPT_Y, text.LARGE["prompt"], LARGE)
            draw_text(c, 0, KEYS_Y, text.LARGE["satisfied"], LARGE)
            s = text.LARGE["unsatisfied"]
            draw_text(c, WIDTH - text_width(s, LARGE), KEYS_Y, s, LARGE)
        elif mode == "thanks":
            draw_centered(c, THANKS_Y, text.LARGE["thanks"], LARGE)
            rating = info.get("rating")
            if rating in ("satisfied", "unsatisfied"):
                draw_centered(c, CHOSEN_Y, text.SMALL["you_chose"] + text.SMALL[rating], SMALL)
        elif mode == "serving":
            self._staff_line(info)
            draw_centered(c, MAIN_Y, text.LARGE["serving"], LARGE)
        elif mode == "paused":
            self._staff_line(info)
            self._band(text.LARGE["paused"])
        elif mode == "fault":
            label = text.FAULTS.get(info.get("fault") or "other", text.FAULTS["other"])
            x = draw_text(c, 0, LINE_Y, label, SMALL)
            draw_text(c, x + SMALL.ascii_w, LINE_Y, text.SMALL["report"], SMALL)
            self._band(text.LARGE["fault"])
        else:  # offline-boot
            draw_centered(c, LINE_Y, text.SMALL["offline_ok"], SMALL)
            draw_centered(c, MAIN_Y, text.LARGE["boot"], LARGE)
        if mode != "prompt" and mode != "reason":
            self._status(mode, info)

    def _band(self, s):
        self.canvas.fill_rect(0, BAND_Y, WIDTH, BAND_H)
        draw_centered(self.canvas, MAIN_Y, s, LARGE, dark=True)

    def _bitmap(self, s, box_h):
        """A host bitmap decoded, or None (counted) if it is missing or malformed.

        The last string per box height is kept decoded: a redraw for a new count or mode
        then costs no base64 work (decoding is the slowest part of a named screen).
        """
        if not s:
            return None
        cached = self._decoded.get(box_h)
        if cached is not None and cached[0] == s:
            return cached[1]
        try:
            bmp = decode_bitmap(s, WIDTH, box_h)
        except ValueError as exc:
            self.bmp_errors += 1
            self.last_error = str(exc)
            return None
        self._decoded[box_h] = (s, bmp)
        return bmp

    def _blit(self, x, y, bmp):
        self.canvas.bitmap(x, y, bmp[0], bmp[1], bmp[2])

    def _header(self, info):
        bmp = self._bitmap(info.get("window_bmp"), LARGE.height)
        if bmp is not None:
            self._blit((WIDTH - bmp[0]) // 2, HEADER_Y + (LARGE.height - bmp[1]) // 2, bmp)
            return
        window = info.get("window") or ""
        if not window:
            s = text.LARGE["pad"]
        elif _is_ascii(window):
            s = text.LARGE["window"] + " " + window.upper()
        elif has_glyphs(window, LARGE):
            s = window
        else:
            # A Chinese name needs the host's bitmap: show the generic word, not boxes.
            s = text.LARGE["window"]
        draw_centered(self.canvas, HEADER_Y, s, LARGE)

    def _staff_line(self, info):
        x = 0
        staff_id = info.get("staff_id")
        if staff_id:
            x = draw_text(self.canvas, 0, LINE_Y, text.SMALL["staff_id"] + " ", SMALL)
            x = draw_text(self.canvas, x, LINE_Y, fit(str(staff_id), SMALL, 48), SMALL) + SMALL.ascii_w
        bmp = self._bitmap(info.get("staff_bmp"), SMALL.height)
        if bmp is not None:        # the host sized it to the room left; any excess is clipped
            self._blit(x, LINE_Y + (SMALL.height - bmp[1]) // 2, bmp)
        elif info.get("staff") and has_glyphs(info["staff"], SMALL):
            draw_text(self.canvas, x, LINE_Y, fit(info["staff"], SMALL, WIDTH - x), SMALL)

    def _status(self, mode, info):
        online = info.get("online")
        if mode == "offline-boot":
            online = False
        if online is not None:
            draw_text(self.canvas, 0, STATUS_Y, text.SMALL["online" if online else "offline"], SMALL)
        buffered = info.get("buffered") or 0
        if buffered > 0:
            s = text.SMALL["buffered"] + " " + str(buffered)
            draw_text(self.canvas, WIDTH - text_width(s, SMALL), STATUS_Y, s, SMALL)


def has_glyphs(s, font):
    """True if every character of ``s`` is in ``font``'s tables."""
    for ch in s:
        if font.glyph(ch) is None:
            return False
    return True


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _is_base64(s):
    for ch in s:
        if _B64.find(ch) < 0:
            return False
    return True


def _is_ascii(s):
    for ch in s:
        if ord(ch) >= 128:
            return False
    return True
