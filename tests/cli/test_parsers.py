"""What an operator types for a month or a period means the same to the CLI as to the API and the
pages: one parser (host.rules.month_span), whose patterns the API's parameters check
(host.api.params). Before, the CLI also took " 2026-10" and "2026-Q4 " that the API refuses."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from host.api.params import Month, Period
from host.cli.common import as_month, as_period
from host.errors import Invalid

MONTHS = ["2026-10", "2026-01", "2026-12", " 2026-10", "2026-10 ", "2026-1", "2026-13", "2026-00", "26-10",
          "2026/10", "２０２６-１０", "2026-10-01", ""]
PERIODS = ["2026", "2026-Q1", "2026-Q4", " 2026", "2026-Q4 ", "2026-Q5", "2026-Q0", "2026-q4", "26",
           "２０２６"]


@pytest.fixture(scope="module")
def api() -> TestClient:
    app = FastAPI()

    @app.get("/months/{month}")
    def month(month: Month) -> str:
        return month

    @app.get("/periods/{period}")
    def period(period: Period) -> str:
        return period

    return TestClient(app)


def _cli_takes(parse, text: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        parse(text)
    except Invalid:
        return False
    return True


@pytest.mark.parametrize("text", MONTHS)
def test_a_month_the_cli_takes_is_one_the_api_takes(api: TestClient, text: str) -> None:
    api_takes = api.get(f"/months/{quote(text)}").status_code == 200 if text else False
    assert _cli_takes(as_month, text) == api_takes


@pytest.mark.parametrize("text", PERIODS)
def test_a_period_the_cli_takes_is_one_the_api_takes(api: TestClient, text: str) -> None:
    assert _cli_takes(as_period, text) == (api.get(f"/periods/{quote(text)}").status_code == 200)
