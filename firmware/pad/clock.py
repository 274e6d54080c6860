"""The pad's clocks: uptime that survives ticks_ms() wrapping, and the wall clock (ts).

``up_ms()`` adds ``ticks_diff`` of successive readings into a Python int, so it keeps
counting past the 2**30 ms (12.4 days) wrap of ``ticks_ms``; it must be read at least once
per half period, which the main loop does every few milliseconds.

``now_ms()`` is Unix ms UTC, or None until the clock has been set in this boot by NTP or by
the host's ``time`` command (or, after a reset that keeps the RTC running, by the RTC as an
earlier boot set it) (contract: ``ts`` is null until then; the host then derives the
time from ``up`` and marks it derived, R10).  NTP runs at boot and daily, and is retried
every ``NTP_RETRY_MS`` while it fails.
"""

from firmware.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from firmware.hal.board import Board

NTP_DAILY_MS = 24 * 3600 * 1000     # re-sync daily: an ESP32 RTC drifts seconds per day
NTP_RETRY_MS = 5 * 60 * 1000        # while unset/failing: every 5 min (each try blocks <= 1 s)
MIN_VALID_MS = 1735689600000        # 2025-01-01: an RTC earlier than this was never set
RTC_KEPT = ("soft", "watchdog", "deepsleep")   # resets after which the ESP32 RTC keeps time


class Clock:
    def __init__(self, hal: "Board") -> None:
        self.hal = hal
        self._last = hal.ticks_ms()
        self._up = 0
        self.is_set = False
        self.source = None   # type: str | None  # "ntp", "host" or "rtc"
        self._next_ntp = 0   # up_ms at which to try NTP next
        self.ntp_failures = 0

    def up_ms(self) -> int:
        now = self.hal.ticks_ms()
        self._up += self.hal.ticks_diff(now, self._last)
        self._last = now
        return self._up

    def now_ms(self) -> "int | None":
        if not self.is_set:
            return None
        ms = self.hal.wall_ms()
        return ms if ms is not None and ms >= MIN_VALID_MS else None

    def trust_rtc(self, reset_cause: str) -> bool:
        """After a reset that keeps the ESP32's RTC running (soft, watchdog, deep sleep), a
        plausible RTC time was set in an earlier boot: use it until NTP confirms (so events
        logged after a last-resort reboot during an outage still carry ts)."""
        if reset_cause in RTC_KEPT and not self.is_set:
            ms = self.hal.wall_ms()
            if ms is not None and ms >= MIN_VALID_MS:
                self.is_set = True
                self.source = "rtc"
        return self.is_set

    def set_ms(self, ms: int, source: str = "host") -> None:
        self.hal.set_wall_ms(ms)
        self.is_set = True
        self.source = source

    def maybe_ntp(self, host: str, online: bool) -> bool:
        """Try NTP when due and Wi-Fi is up.  True if the clock was set now."""
        up = self.up_ms()
        if not online or up < self._next_ntp:
            return False
        if self.hal.ntp_sync(host):
            ms = self.hal.wall_ms()
            if ms is not None and ms >= MIN_VALID_MS:
                self.is_set = True
                self.source = "ntp"
                self._next_ntp = up + NTP_DAILY_MS
                return True
        self.ntp_failures += 1
        self._next_ntp = up + NTP_RETRY_MS
        return False
