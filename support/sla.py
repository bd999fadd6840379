"""SLA clocks: add a target to a start time, or measure the time between two instants, either
around the clock or in business hours only (Monday to Friday, 09:00-17:00 local time).

Pure Python (no Django): the time zone is passed in. Business days are built from local
wall-clock times (``datetime.combine(day, 09:00, tzinfo=zone)``), so a business day is
09:00-17:00 on both sides of a daylight-saving change; all arithmetic is done in UTC, so an
hour is always an hour. Results are aware datetimes in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

OPENS = time(9, 0)
CLOSES = time(17, 0)
WORKDAYS = frozenset(range(5))  # Monday..Friday
_MAX_DAYS = 3660  # ten years of days: a target longer than that is a typo, not a loop


def _windows(start: datetime, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """Business-hour windows (UTC) from the local day of ``start`` onwards."""
    day: date = start.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in WORKDAYS:
            opens = datetime.combine(day, OPENS, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, CLOSES, tzinfo=zone).astimezone(UTC)
            yield opens, closes
        day += timedelta(days=1)


def clock_add(start: datetime, seconds: float, *, business: bool, zone: tzinfo) -> datetime:
    """The instant ``seconds`` of clock time after ``start`` (aware)."""
    start = start.astimezone(UTC)
    if not business:
        return start + timedelta(seconds=seconds)
    left = max(seconds, 0.0)
    for opens, closes in _windows(start, zone):
        begin = max(start, opens)
        if begin >= closes:
            continue
        available = (closes - begin).total_seconds()
        if left <= available:
            return begin + timedelta(seconds=left)
        left -= available
    raise ValueError("SLA target too long")


def clock_seconds(start: datetime, end: datetime, *, business: bool, zone: tzinfo) -> float:
    """Clock time between two instants (0 when ``end`` is not after ``start``)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0.0
    if not business:
        return (end - start).total_seconds()
    total = 0.0
    for opens, closes in _windows(start, zone):
        if opens >= end:
            break
        begin, finish = max(start, opens), min(end, closes)
        if finish > begin:
            total += (finish - begin).total_seconds()
    return total


def due_words(seconds: float) -> str:
    """'in 2 h', 'in 35 min', 'overdue by 1 d 3 h': seconds left (negative: overdue)."""
    left = abs(seconds)
    # a due time days away needs no hours ("in 3 d"); tomorrow's does ("in 1 d 4 h")
    words = f"{int(left // 86400)} d" if left >= 2 * 86400 else short_words(left)
    return f"in {words}" if seconds >= 0 else f"overdue by {words}"


def short_words(seconds: float) -> str:
    """'2 d 3 h', '4 h', '35 min' (at least 1 min): a due time's distance."""
    s = int(seconds)
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if days:
        return f"{days} d {hours % 24} h" if hours % 24 else f"{days} d"
    if hours:
        return f"{hours} h {minutes % 60} min" if minutes % 60 else f"{hours} h"
    return f"{max(minutes, 1)} min"


BUSINESS_DAY_SECONDS = 8 * 3600


def target_words(seconds: float, *, business: bool) -> str:
    """'1 h', '2 d', or in business time '2 business days', '4 business hours'."""
    if not business:
        return short_words(seconds)
    if seconds >= BUSINESS_DAY_SECONDS and seconds % BUSINESS_DAY_SECONDS == 0:
        days = int(seconds // BUSINESS_DAY_SECONDS)
        return f"{days} business day{'s' if days != 1 else ''}"
    return f"{short_words(seconds)} of business hours"
