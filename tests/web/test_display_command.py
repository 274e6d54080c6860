"""A `display` command sent through the API carries bitmaps of Chinese names (the pad has no
glyphs for them): host.api.routes.commands passes the fields through host.display.render."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from host.display.render import decode_bitmap, render_name
from protocol import messages
from tests.api.conftest import Api, RecordingPublish, build_api


@pytest.fixture
def api(tmp_path: Path, publish: RecordingPublish) -> Iterator[Api]:
    yield from build_api(f"sqlite:///{tmp_path / 'evalpad.db'}", tmp_path, publish)


@pytest.fixture
def publish() -> RecordingPublish:
    return RecordingPublish()


def _sent(publish: RecordingPublish) -> dict:
    topic, payload, _, _ = publish.sent[-1]
    assert topic == "evalpad/v1/pad-a01/cmd"
    return messages.parse_command(payload)


def test_chinese_window_and_staff_names_reach_the_pad_as_bitmaps(api: Api, publish: RecordingPublish) -> None:
    r = api.client.post(
        "/api/v1/devices/pad-a01/commands",
        headers=api.auth("staff"),
        json={"type": "display", "window": "公安分局出入境", "staff": "王小明", "staff_id": "0231"},
    )
    assert r.status_code == 201, r.text
    wire = _sent(publish)
    assert wire["window"] == "公安分局出入境" and wire["staff"] == "王小明"
    window_img = decode_bitmap(wire["window_bmp"])
    assert window_img.height in (12, 16) and window_img.width > 0
    assert wire["window_bmp"] == render_name("公安分局出入境").bitmap  # the same renderer as the CLI
    staff_img = decode_bitmap(wire["staff_bmp"])
    assert staff_img.height == 12 and 0 < staff_img.width <= 128
    assert r.json()["body"]["window_bmp"] == wire["window_bmp"]  # stored as sent


def test_ascii_names_need_no_bitmap_and_given_bitmaps_are_kept(api: Api, publish: RecordingPublish) -> None:
    r = api.client.post(
        "/api/v1/devices/pad-a01/commands",
        headers=api.auth("it"),
        json={"type": "display", "window": "A01", "staff_id": "0231"},
    )
    assert r.status_code == 201, r.text
    wire = _sent(publish)
    assert "window_bmp" not in wire and "staff_bmp" not in wire
    mine = render_name("社保", (12,)).bitmap
    r = api.client.post(
        "/api/v1/devices/pad-a01/commands",
        headers=api.auth("it"),
        json={"type": "display", "window": "社保医保", "window_bmp": mine},
    )
    assert r.status_code == 201, r.text
    assert _sent(publish)["window_bmp"] == mine


def test_other_commands_are_not_touched(api: Api, publish: RecordingPublish) -> None:
    r = api.client.post(
        "/api/v1/devices/pad-a01/commands",
        headers=api.auth("staff"),
        json={"type": "pause", "reason": "午休"},
    )
    assert r.status_code == 201, r.text
    assert _sent(publish)["reason"] == "午休"
