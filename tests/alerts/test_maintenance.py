"""Maintenance windows from cron + duration."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.maintenance import MaintenanceCalendar
from alerts.spec import MaintenanceSpec


def spec(**kw: object) -> MaintenanceSpec:
    data: dict[str, object] = {"name": "nightly", "cron": "0 2 * * *", "duration": "30m"}
    data.update(kw)
    return MaintenanceSpec.model_validate(data)


def at(h: int, m: int, s: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, h, m, s, tzinfo=UTC)


def test_window_open_from_fire_time_until_duration() -> None:
    cal = MaintenanceCalendar([spec(integrations=["payments"])])
    assert cal.open_windows(at(1, 59, 59)) == []
    opened = cal.open_windows(at(2, 0))
    assert [w.name for w in opened] == ["nightly"]
    assert opened[0].ends_at == at(2, 30)
    assert cal.open_windows(at(2, 29, 59))
    assert cal.open_windows(at(2, 30)) == []
    silence = cal.silencing(at(2, 10))
    assert silence.window_for("payments") is not None
    assert silence.window_for("crm") is None


def test_global_window_and_timezone() -> None:
    cal = MaintenanceCalendar([spec(cron="0 9 * * 1-5", duration="1h",
                                    timezone="Europe/Berlin")])
    # 09:00 Berlin in March (CET, UTC+1) is 08:00 UTC
    assert cal.silencing(at(8, 30)).window_for("anything") is not None
    assert cal.silencing(at(9, 30)).window_for("anything") is None
    assert cal.open_windows(at(8, 30, day=1)) == []  # Sunday


def test_overlapping_fires_extend_to_the_latest() -> None:
    cal = MaintenanceCalendar([spec(cron="*/10 * * * *", duration="25m")])
    [window] = cal.open_windows(at(3, 12))
    assert window.ends_at == at(3, 35)


def test_window_longer_than_a_day() -> None:
    cal = MaintenanceCalendar([spec(cron="0 0 1 * *", duration="3d")])
    assert cal.open_windows(datetime(2026, 3, 3, 23, 0, tzinfo=UTC))
    assert not cal.open_windows(datetime(2026, 3, 4, 0, 0, tzinfo=UTC))
