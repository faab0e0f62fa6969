"""Standard five-field cron expressions on top of APScheduler 3's CronTrigger.

APScheduler 3 numbers the day of week from Monday (0 = mon), standard cron from Sunday
(0 or 7 = sun, 1 = mon). Numeric day-of-week values are translated to names so that
`0 2 * * 1-5` means Monday to Friday, as in crontab(5).
"""

from __future__ import annotations

import re

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMERIC = re.compile(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?")


def _day_of_week(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    names: list[str] = []
    for part in field.split(","):
        m = _NUMERIC.fullmatch(part)
        if not m:
            names.append(part)  # names (mon-fri) mean the same in both
            continue
        start, end, step = m.groups()
        if start == "*":
            lo, hi = 0, 6
        else:
            lo = int(start)
            hi = int(end) if end else (6 if step else lo)
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi):
            raise ValueError(f"day of week {part!r} is out of range 0-7 (0 and 7 are Sunday)")
        names.extend(_DAYS[d] for d in range(lo, hi + 1, int(step or 1)))
    return ",".join(dict.fromkeys(names))


def crontab_trigger(expr: str, timezone: str = "UTC") -> CronTrigger:
    """`minute hour day month day-of-week` with crontab(5) semantics; ValueError if invalid."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 cron fields (minute hour day month day-of-week), got {len(fields)}"
        )
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_day_of_week(dow),
        timezone=timezone,
    )
