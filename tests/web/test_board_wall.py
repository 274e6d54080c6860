"""The hall board on a wall (issue 12), measured in Debian's Chromium: at 1920x1080 the board fills
the screen for 12 and for 60 windows without scrolling, the state reads at >= 40 px and the
counts at >= 28 px; the hall summary counts each state; long names are cut with an ellipsis and
keep their full name on hover; at 1366 px nothing scrolls sideways (wall or not).

The real app (tests.web.harness, development mode for plain http) served by uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from host import fleet
from host.models.liveness import DeviceStatus
from tests.web.conftest import _serve, free_port
from tests.web.harness import PASSWORD, Site

pytestmark = pytest.mark.slow

LONG = "公安分局出入境管理大队港澳台通行证及因私护照加急办理专窗"   # longer than any tile
# A state per window, round-robin: every kind of tile, the summary counts them.
STATES = (("serving", True, "serving"), ("paused", True, "paused"), ("offline", False, None),
          ("fault", True, "fault"), ("prompt", True, "prompt"))
SHOTS = Path("/work/wt/shots") if Path("/work/wt").is_dir() else None


def _hall(site: Site, n: int) -> dict[str, int]:
    """n windows (A01, A02 from the harness + more), each with a pad in a state; one long name."""
    expected = {"serving": 0, "paused": 0, "offline": 0, "fault": 0, "unconfigured": 0}
    now = site.clock.now_ms()
    with Session(site.engine) as s:
        for i in range(3, n + 1):
            name = LONG if i == 3 else f"综合受理{i}号窗口"
            fleet.add_window(s, number=f"A{i:02d}", name=name, clock=site.clock, actor="t")
            fleet.add_device(s, device_id=f"pad-a{i:02d}", window_number=f"A{i:02d}", clock=site.clock,
                             actor="t")
        fleet.add_device(s, device_id="pad-a02", window_number="A02", clock=site.clock, actor="t")
        for i in range(1, n + 1):
            key, online, mode = STATES[i % len(STATES)]
            s.add(DeviceStatus(device_id=f"pad-a{i:02d}", online=online, mode=mode,
                               since_ms=now - (86_400_000 * 3 if key == "offline" else 600_000)))
            expected["serving" if key == "prompt" else key] += 1
        s.commit()
    return expected


@pytest.fixture(scope="module", params=[12, 60], ids=["12-windows", "60-windows"])
def hall(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, dict[str, int]]]:
    n = request.param
    site = Site(tmp_path_factory.mktemp(f"wall{n}"), mode="development")
    expected = _hall(site, n)
    port = free_port()
    server, thread = _serve(site.app, port)
    try:
        yield f"http://127.0.0.1:{port}", n, expected
    finally:
        server.should_exit = True
        thread.join(10)
        site.engine.dispose()


def _open(browser: Any, url: str, width: int, height: int, path: str) -> Any:
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = ctx.new_page()
    page.goto(url + "/login")
    page.fill("#name", "guard")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(url + path)
    page.wait_for_selector("#live.on")
    return page


MEASURE = """() => {
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const tiles = [...document.querySelectorAll('#board .tile')];
  const box = (el) => el.getBoundingClientRect();
  const name = document.querySelector('#board .tile[data-window="A03"] .name');
  return {
    tiles: tiles.length,
    state: Math.min(...tiles.map(t => px(t.querySelector('.state')))),
    counts: Math.min(...tiles.flatMap(t => [...t.querySelectorAll('.stats b')].map(px))),
    clock: px(document.getElementById('clock')),
    scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
    bottom: Math.max(...tiles.map(t => box(t).bottom)), right: Math.max(...tiles.map(t => box(t).right)),
    // a tile whose content overflows it (6 px slack: a CJK font's glyph box reaches past a tight line box)
    clipped: tiles.filter(t => t.scrollHeight > t.clientHeight + 6
                               || t.scrollWidth > t.clientWidth + 1).length,
    // text cut off inside a tile: the state, the number or a count wider than its box, or out of the tile
    cut: tiles.flatMap(t => [...t.querySelectorAll('.num, .state, .stats b')].filter(e =>
      e.scrollWidth > e.clientWidth + 1 || box(e).bottom > box(t).bottom + 1
      || box(e).right > box(t).right + 1
      || box(e).height < px(e) * 0.95)
      .map(e => [t.dataset.window, e.className || e.tagName, Math.round(box(e).bottom),
        Math.round(box(e).right), Math.round(box(t).right), e.scrollWidth, e.clientWidth])).slice(0, 5),
    nameCut: name ? name.scrollWidth > name.clientWidth : null,
    nameTitle: name ? name.title : null,
    summary: Object.fromEntries([...document.querySelectorAll('#summary [data-key]')]
      .map(s => [s.dataset.key, +s.querySelector('b').textContent])),
  };
}"""


def test_the_wall_board_fills_1920x1080_and_reads_from_across_the_hall(browser: Any, hall: Any) -> None:
    url, n, expected = hall
    page = _open(browser, url, 1920, 1080, "/board?wall=1")
    m = page.evaluate(MEASURE)
    print(f"{n} windows at 1920x1080: {m}")
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"board-wall-{n}-1920.png"))
    assert m["tiles"] == n
    assert m["state"] >= 40 and m["counts"] >= 28, m
    assert m["scrollH"] <= 1080 and m["scrollW"] <= 1920, m        # one screen, no scrolling
    assert m["bottom"] >= 1080 * 0.9 and m["right"] >= 1920 * 0.95, m   # and it fills it
    assert m["clipped"] == 0 and m["cut"] == [], m                   # no tile's content cut off
    assert m["clock"] >= 40, m
    assert m["nameCut"] is True and m["nameTitle"] == LONG, m       # ellipsis, full name on hover
    assert m["summary"] == expected, m
    # The stream's redraw keeps all of it (the tiles are drawn again by board.js).
    page.wait_for_function("document.getElementById('board').dataset.updated")
    assert page.evaluate(MEASURE)["summary"] == expected
    page.context.close()


@pytest.mark.parametrize("path", ["/board", "/board?wall=1"])
def test_no_sideways_scroll_at_1366(browser: Any, hall: Any, path: str) -> None:
    url, n, _ = hall
    page = _open(browser, url, 1366, 768, path)
    page.wait_for_function("document.getElementById('board').dataset.updated")
    m = page.evaluate(MEASURE)
    print(f"{n} windows at 1366 {path}: {m}")
    assert m["scrollW"] <= 1366 and m["cut"] == [], m
    assert m["nameCut"] is True and m["nameTitle"] == LONG, m
    page.context.close()
