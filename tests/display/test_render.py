"""Host-rendered names and the generated glyph tables (CPython; needs the CJK font)."""

from __future__ import annotations

import logging

import pytest

from firmware.pad import display_five, display_text, screen
from host.display import build_glyphs, font, render
from protocol import messages, spec
from tests.display import pixels as px
from tests.support.services import missing


@pytest.fixture(scope="module", autouse=True)
def cjk_font() -> None:
    try:
        font.font_path()
    except font.FontMissing as exc:
        missing(str(exc))       # skip locally, fail with CI=true (./dev setup installs it)


def _tables(source: str) -> dict[str, str]:
    """Each glyph table's lines of glyphs.py source, by table name."""
    tables: dict[str, str] = {}
    name = None
    for line in source.splitlines():
        if line.endswith("_DATA = ("):
            name = line.split()[0]
            tables[name] = ""
        elif name and line == ")":
            name = None
        elif name:
            tables[name] += line + "\n"
    return tables


def test_committed_glyphs_match_a_fresh_build() -> None:
    # The committed firmware/pad/glyphs.py is what scripts/build-glyphs makes now.  The CJK
    # tables come from the font's bitmap strikes and must match on any machine; the ASCII
    # tables come from outlines, so they must match only under the same FreeType.
    committed, fresh = build_glyphs.OUTPUT.read_text(), build_glyphs.generate()
    old, new = _tables(committed), _tables(fresh)
    assert sorted(old) == sorted(new) == ["L_ASCII_DATA", "L_CJK_DATA", "S_ASCII_DATA", "S_CJK_DATA"]
    def header(src: str) -> list[str]:      # character lists, widths, heights
        return [ln for ln in src.splitlines() if ln.startswith(("L_", "S_")) and "_DATA" not in ln]

    assert header(committed) == header(fresh), "glyphs.py is out of date: run scripts/build-glyphs"
    for name in ("L_CJK_DATA", "S_CJK_DATA"):
        assert old[name] == new[name], "{} differs: run scripts/build-glyphs".format(name)
    stamp = "Pillow {} / FreeType {}".format(*font.rasterizer())
    if stamp in committed:
        assert committed == fresh, "glyphs.py is out of date: run scripts/build-glyphs and commit it"


def test_every_fixed_phrase_has_its_glyphs() -> None:
    for phrase in [*display_text.LARGE.values(), *display_five.LARGE_TEXT.values()]:
        assert screen.has_glyphs(phrase, screen.LARGE), phrase
    for phrase in [*display_text.SMALL.values(), *display_text.FAULTS.values(),
                   *display_five.SMALL_TEXT.values()]:     # a five-key pad's too (issue 16)
        assert screen.has_glyphs(phrase, screen.SMALL), phrase
    assert set(display_text.FAULTS) == set(spec.FAULT_CODES)   # R7: every fault code has a label


def test_glyph_table_holds_the_font_pixels() -> None:
    img = font.draw_char("满", 16)
    assert px.glyph("满", 16) == px.image(img, 0, 0)
    assert len(px.glyph("满", 16)) > 40    # a real ideograph, not an empty cell


def test_window_name_round_trips_through_the_pads_decoder() -> None:
    r = render.render_name("公安分局出入境")
    assert (r.shown, r.size, r.cut) == ("公安分局出入境", 12, False)
    w, h, data = screen.decode_bitmap(r.bitmap)      # the pad's decoder, run under CPython
    assert (w, h) == (7 * 12, 12)
    img = render.decode_bitmap(r.bitmap)
    assert font.to_hlsb(img) == data
    assert font.to_hlsb(font.draw_line("公安分局出入境", 12)) == data


def test_short_name_uses_the_large_size() -> None:
    r = render.render_name("综合窗口")
    assert r.size == 16 and not r.cut
    assert render.decode_bitmap(r.bitmap).size == (64, 16)


def test_too_long_name_is_cut_with_ellipsis_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    name = "上海市青浦区行政服务中心公安分局出入境管理办公室"
    with caplog.at_level(logging.WARNING, logger="host.display.render"):
        r = render.render_name(name, what="window name")
    assert r.cut and r.shown.endswith("…") and name.startswith(r.shown[:-1])
    assert len(r.bitmap) <= spec.MAX_STR
    assert render.decode_bitmap(r.bitmap).width <= 128
    assert "window name" in caplog.text and r.shown in caplog.text and "shorter" in caplog.text


def test_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="是空的"):
        render.render_name("  ")


def test_display_command_fits_the_contract() -> None:
    cmd = render.display_command("c-1", window="上海市青浦区行政服务中心公安分局出入境管理办公室",
                                 staff="欧阳娜娜娜娜娜", staff_id="QP-102400", expires=1795619803210)
    payload = messages.encode(cmd)
    assert len(payload) <= spec.MAX_PAYLOAD
    back = messages.parse_command(payload)
    assert back["window_bmp"] == cmd["window_bmp"] and back["staff_bmp"] == cmd["staff_bmp"]
    # The staff bitmap fits the room the pad leaves after "工号 QP-102400 ".
    w, _, _ = screen.decode_bitmap(back["staff_bmp"], 128, 12)
    assert w <= 128 - px.text_width("工号 QP-102400", 12) - 6


def test_ascii_names_need_no_bitmap() -> None:
    fields = render.display_fields(window="12", staff="Li Lei", staff_id="1024")
    assert fields == {"window": "12", "staff": "Li Lei", "staff_id": "1024"}


@pytest.mark.parametrize("bad, why", [
    ("84x12", "WxH:base64"),
    ("axb:AAAA", "not WxH"),
    ("200x12:AAAA", "does not fit"),
    ("8x2:AA==", "needs 2 bytes"),
    ("8x2:A*==", "not base64"),
    ("8x2:AAA", "not base64"),
])
def test_pads_decoder_says_what_is_wrong(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        screen.decode_bitmap(bad)


def test_with_bitmaps_adds_only_what_is_missing() -> None:
    fields = {"window": "公安分局出入境", "staff_id": "0412", "reason": "kept"}
    out = render.with_bitmaps(fields)
    assert out["window_bmp"] == render.render_name("公安分局出入境").bitmap
    assert "staff_bmp" not in out and out["reason"] == "kept"
    given = render.with_bitmaps({"window": "公安分局出入境", "window_bmp": "8x1:/w=="})
    assert given["window_bmp"] == "8x1:/w=="


NAMES = ["窗", "综合", "出入境", "综合窗口", "公安分局", "公安出入境", "公安分局出入境",
         "不动产登记中心", "市场监督管理局窗口", "人力资源和社会保障局", "公安分局出入境管理办公室",
         "上海市青浦区行政服务中心公安分局出入境管理办公室 A12 号窗口", "A12", "12号窗口"]


@pytest.mark.parametrize("name", NAMES)
def test_every_name_fits_the_contract_and_the_screen(name: str) -> None:
    r = render.render_name(name)
    w, h, data = screen.decode_bitmap(r.bitmap)     # the pad accepts it
    assert len(r.bitmap) <= spec.MAX_STR and w <= 128 and h in (12, 16)
    assert font.to_hlsb(font.draw_line(r.shown, r.size)) == data
    assert r.cut == (r.shown != name)
    if not r.cut:
        assert r.size == (16 if font.draw_line(name, 16).width <= 88 else 12)
    else:
        assert r.shown.endswith("…") and name.startswith(r.shown[:-1].rstrip())
