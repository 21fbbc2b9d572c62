"""The demo bank's time axis: two years of weeks and months ending at ``end_date``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

# Lunar New Year (Spring Festival) dates; remittances and spending peak in the ~3 weeks before.
SPRING_FESTIVALS = tuple(
    date.fromisoformat(d)
    for d in (
        "2015-02-19",
        "2016-02-08",
        "2017-01-28",
        "2018-02-16",
        "2019-02-05",
        "2020-01-25",
        "2021-02-12",
        "2022-02-01",
        "2023-01-22",
        "2024-02-10",
        "2025-01-29",
        "2026-02-17",
        "2027-02-06",
        "2028-01-26",
        "2029-02-13",
        "2030-02-03",
        "2031-01-23",
        "2032-02-11",
        "2033-01-31",
        "2034-02-19",
        "2035-02-08",
    )
)
PRE_HISTORY_MONTHS = 6  # balance snapshots before the two years, so tier hysteresis has history
DAY = np.timedelta64(1, "D")


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


@dataclass(frozen=True)
class Calendar:
    """Weeks (Mondays) and months (first days) of the history, with seasonal weights per week."""

    start: date  # first day of the history (a Monday when end_date is a Sunday)
    end: date  # last day of the history (inclusive)
    weeks: np.ndarray  # datetime64[D] Mondays, first..last week touching [start, end]
    months: np.ndarray  # datetime64[D] first days, PRE_HISTORY_MONTHS before start .. end's month

    @classmethod
    def ending(cls, end: date, years: int = 2) -> Calendar:
        """The calendar of ``years`` years ending at ``end``."""
        start = end - timedelta(days=364 * years - 1)
        first_monday = start - timedelta(days=start.weekday())
        n_weeks = (end - first_monday).days // 7 + 1
        weeks = np.datetime64(first_monday, "D") + 7 * np.arange(n_weeks) * DAY
        m0 = _add_months(_month_start(start), -PRE_HISTORY_MONTHS)
        months = []
        m = m0
        while m <= end:
            months.append(m)
            m = _add_months(m, 1)
        return cls(start, end, weeks, np.array(months, dtype="datetime64[D]"))

    @property
    def start64(self) -> np.datetime64:
        return np.datetime64(self.start, "D")

    @property
    def end64(self) -> np.datetime64:
        """The day after the last day (exclusive end)."""
        return np.datetime64(self.end, "D") + DAY

    @property
    def n_weeks(self) -> int:
        return len(self.weeks)

    @property
    def first_window_month(self) -> int:
        """Index in ``months`` of the month containing ``start``."""
        return PRE_HISTORY_MONTHS

    def month_ends(self) -> np.ndarray:
        """Exclusive end of each month (first day of the next), capped at the day after ``end``."""
        nxt = (self.months.astype("datetime64[M]") + 1).astype("datetime64[D]")
        return np.minimum(nxt, self.end64)

    def week_of_year_fraction(self) -> np.ndarray:
        """Position of each week in the two years, 0..1 (for trends such as the mobile shift)."""
        return np.linspace(0.0, 1.0, self.n_weeks)

    def week_months(self) -> np.ndarray:
        """Calendar month (1..12) of the Thursday of each week."""
        thursdays = self.weeks + 3 * DAY
        return (thursdays.astype("datetime64[M]").astype(int) % 12) + 1

    def spring_festival_weeks(self, before: int = 3) -> np.ndarray:
        """Boolean per week: within ``before`` weeks before a Spring Festival (the festival week too)."""
        out = np.zeros(self.n_weeks, dtype=bool)
        for sf in SPRING_FESTIVALS:
            sf64 = np.datetime64(sf, "D")
            lo = sf64 - 7 * before * DAY
            out |= (self.weeks + 6 * DAY >= lo) & (self.weeks <= sf64)
        return out

    def spring_festivals_in_window(self) -> list[date]:
        return [d for d in SPRING_FESTIVALS if self.start <= d <= self.end]
