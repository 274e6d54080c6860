"""Names for the pad's display, rendered by the host (窗口名称/工作人员姓名).

A pad has glyphs for its fixed phrases only (firmware/pad/glyphs.py), so a window called
公安分局出入境 or a staff name reaches it as a bitmap in the ``display`` command's optional
``window_bmp``/``staff_bmp`` fields: "WxH:base64", H rows of ceil(W/8) bytes, most
significant bit = leftmost pixel, 1 = lit (see protocol/spec.py).  The same font and cells
as the pad's glyphs are used, so a name looks like the rest of the screen.

Budget: the contract's text fields hold at most ``spec.MAX_STR`` (256) characters, which
allows a 16 px line up to 88 px wide (five Chinese characters) and a 12 px line up to 120
px (ten).  A longer name is cut with "…" and a warning names what was shown instead.
"""

from __future__ import annotations

import base64
import logging

from PIL import Image

from host.display import font
from protocol import messages, spec

log = logging.getLogger(__name__)

SCREEN_WIDTH = 128
WINDOW_SIZES = (16, 12)   # the header is 16 px high: big if the name fits, else smaller
STAFF_SIZE = 12           # the staff line is 12 px high
STAFF_GAP = 6             # one ASCII cell between the staff id and the name (as the pad draws)
ELLIPSIS = "…"


class Rendered:
    """A name as sent: the bitmap string, what it shows, at which size, and if it was cut."""

    def __init__(self, bitmap: str, shown: str, size: int, cut: bool) -> None:
        self.bitmap = bitmap
        self.shown = shown
        self.size = size
        self.cut = cut

    def __repr__(self) -> str:
        return "Rendered(shown={!r}, size={}, cut={}, {} chars)".format(
            self.shown, self.size, self.cut, len(self.bitmap))


def encode_bitmap(img: Image.Image) -> str:
    w, h = img.size
    return "{}x{}:{}".format(w, h, base64.b64encode(font.to_hlsb(img)).decode("ascii"))


def decode_bitmap(s: str) -> Image.Image:
    """The inverse of encode_bitmap (the pad's own decoder is firmware/pad/screen.py)."""
    head, _, data = s.partition(":")
    w, _, h = head.partition("x")
    return Image.frombytes("1", (int(w), int(h)), base64.b64decode(data, validate=True))


def _fits(text: str, size: int, max_width: int, limit: int) -> str | None:
    if not text:
        return None
    img = font.draw_line(text, size)
    if img.width > max_width:
        return None
    bitmap = encode_bitmap(img)
    return bitmap if len(bitmap) <= limit else None


def render_name(text: str, sizes: tuple[int, ...] = WINDOW_SIZES, max_width: int = SCREEN_WIDTH,
                limit: int = spec.MAX_STR, what: str = "名称") -> Rendered:
    """Render ``text`` at the largest size that fits ``max_width`` px and ``limit`` characters.

    If no size fits, the smallest size is used and the name is cut with "…"; the cut is
    logged (warning) with the text that will be shown, so an operator can pick a shorter name.
    """
    name = " ".join(text.split())
    if not name:
        raise ValueError("{}是空的，没有可显示的内容".format(what))
    for size in sizes:
        bitmap = _fits(name, size, max_width, limit)
        if bitmap is not None:
            return Rendered(bitmap, name, size, False)
    size = sizes[-1]
    for n in range(len(name) - 1, 0, -1):
        shown = name[:n].rstrip() + ELLIPSIS
        bitmap = _fits(shown, size, max_width, limit)
        if bitmap is not None:
            log.warning("%s %r is too wide for the pad's display (%d px at most, %d characters "
                        "of bitmap); it will show %r: choose a shorter name to show it whole",
                        what, name, max_width, limit, shown)
            return Rendered(bitmap, shown, size, True)
    raise ValueError("{} {!r} 连一个字也放不下（显示宽度只有 {} 像素）".format(what, name, max_width))


def staff_width(staff_id: str | None) -> int:
    """Pixels left for the staff name after "工号 <id> " on the pad's staff line."""
    if not staff_id:
        return SCREEN_WIDTH
    used = sum(font.char_width(ch, STAFF_SIZE) for ch in "工号 " + staff_id) + STAFF_GAP
    return max(SCREEN_WIDTH - used, 0)


def _needs_bitmap(text: str) -> bool:
    return any(not font.is_ascii(ch) for ch in text)


def display_fields(window: str | None = None, staff: str | None = None,
                   staff_id: str | None = None) -> dict[str, str]:
    """The fields of a ``display`` command, with bitmaps for names the pad cannot draw."""
    fields: dict[str, str] = {}
    if window is not None:
        fields["window"] = window
        if window.strip() and _needs_bitmap(window):
            fields["window_bmp"] = render_name(window, WINDOW_SIZES, what="窗口名称").bitmap
    if staff_id is not None:
        fields["staff_id"] = staff_id
    if staff is not None:
        fields["staff"] = staff
        if staff.strip() and _needs_bitmap(staff):
            fields["staff_bmp"] = render_name(staff, (STAFF_SIZE,), staff_width(staff_id),
                                              what="工作人员姓名").bitmap
    return fields


def with_bitmaps(fields: dict) -> dict:
    """A ``display`` command's fields plus bitmaps for its Chinese names (for API routes).

    Bitmaps the caller already gave are kept; other fields pass through unchanged.
    """
    out = dict(fields)
    names = display_fields(fields.get("window"), fields.get("staff"), fields.get("staff_id"))
    for key in ("window_bmp", "staff_bmp"):
        if key in names and key not in fields:
            out[key] = names[key]
    return out


def display_command(id: str, window: str | None = None, staff: str | None = None,
                    staff_id: str | None = None, expires: int | None = None) -> dict:
    """A checked ``display`` command that fits the contract's 1024-byte payload."""
    cmd = messages.command(id, "display", expires=expires,
                           **display_fields(window, staff, staff_id))
    messages.encode(cmd)    # raises ProtocolError(too_large) rather than send what a pad refuses
    return cmd
