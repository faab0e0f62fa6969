"""The probe scheduler: stable spread, job set kept in sync with the config, runs delivered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from seamwatch.scheduler import ProbeScheduler, ScheduledProbe, first_slot, phase_offset


@pytest.mark.parametrize("interval", [1.0, 30.0, 60.0, 3600.0])
def test_phase_offset_is_stable_and_inside_the_interval(interval: float) -> None:
    keys = [f"integration{i}/probe{j}" for i in range(20) for j in range(20)]
    offsets = [phase_offset(k, interval) for k in keys]
    assert offsets == [phase_offset(k, interval) for k in keys]
    assert all(0 <= o < interval for o in offsets)
    # spread: 400 probes land in at least 8 of 10 equal slices of the interval
    assert len({int(o / interval * 10) for o in offsets}) >= 8


async def test_sync_adds_reschedules_and_removes_jobs() -> None:
    async def run(key: str, scheduled: datetime) -> None:
        pass

    scheduler = ProbeScheduler(run)
    scheduler.start()
    try:
        scheduler.sync([ScheduledProbe("a/x", 60), ScheduledProbe("a/y", 30)])
        assert scheduler.keys == {"a/x", "a/y"}
        job = scheduler._scheduler.get_job("a/y")
        assert job is not None and job.trigger.interval == timedelta(seconds=30)
        assert job.max_instances == 1 and job.coalesce is True
        assert job.misfire_grace_time == 15

        scheduler.sync([ScheduledProbe("a/y", 10), ScheduledProbe("b/z", 5)])
        assert scheduler.keys == {"a/y", "b/z"}
        assert scheduler._scheduler.get_job("a/x") is None
        job = scheduler._scheduler.get_job("a/y")
        assert job is not None and job.trigger.interval == timedelta(seconds=10)
    finally:
        scheduler.shutdown()


async def test_jobs_fire_with_their_scheduled_time() -> None:
    fired: asyncio.Queue[tuple[str, datetime]] = asyncio.Queue()

    async def run(key: str, scheduled: datetime) -> None:
        await fired.put((key, scheduled))

    scheduler = ProbeScheduler(run)
    scheduler.start()
    try:
        before = datetime.now(UTC)
        scheduler.sync([ScheduledProbe("fast/probe", 0.2)])
        key, scheduled = await asyncio.wait_for(fired.get(), timeout=10)
        assert key == "fast/probe"
        assert before <= scheduled <= datetime.now(UTC)
        key2, scheduled2 = await asyncio.wait_for(fired.get(), timeout=10)
        assert key2 == "fast/probe"
        # consecutive runs are one interval apart on the schedule, whatever the start delays
        assert scheduled2 - scheduled == pytest.approx(
            timedelta(seconds=0.2), abs=timedelta(milliseconds=1)
        )
    finally:
        scheduler.shutdown()


async def test_a_run_still_going_when_the_next_is_due_counts_as_missed() -> None:
    release = asyncio.Event()
    missed: asyncio.Queue[None] = asyncio.Queue()

    async def run(key: str, scheduled: datetime) -> None:
        await release.wait()  # the first run hangs, so max_instances=1 skips the next fire

    scheduler = ProbeScheduler(run, on_missed=lambda: missed.put_nowait(None))
    scheduler.start()
    try:
        scheduler.sync([ScheduledProbe("slow/probe", 0.1)])
        await asyncio.wait_for(missed.get(), timeout=10)
        assert scheduler.missed >= 1
    finally:
        release.set()
        scheduler.shutdown()


@pytest.mark.parametrize("now_s", [1_772_442_000.0, 1_772_442_017.25, 1_772_442_059.999])
def test_first_slot_is_counted_from_the_epoch_so_every_runner_picks_the_same(
    now_s: float,
) -> None:
    probe = ScheduledProbe("payments/list", 20.0)
    now = datetime.fromtimestamp(now_s, UTC)
    first = first_slot(probe, now)
    assert now <= first < now + timedelta(seconds=20)
    offset = (first.timestamp() - phase_offset(probe.key, 20.0)) % 20.0
    assert min(offset, 20.0 - offset) < 1e-3
    later = first_slot(probe, now + timedelta(seconds=7))  # another runner, a little later
    assert (later - first).total_seconds() % 20.0 == pytest.approx(0.0, abs=1e-3)
