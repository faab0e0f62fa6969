"""Rendezvous ownership within a location (seamwatch.sharing): every probe has exactly one
owner among the members that count at a given time, and all runners agree on it."""

from __future__ import annotations

import pytest

from seamwatch.sharing import Membership, owner
from storage.runners import Member

LEASE = 40_000  # ms: heartbeat 10 s, silent after 30 s, settled after 20 s
KEYS = [f"shop/p{i}" for i in range(300)]


def m(id_: str, started: int = 0, heartbeat: int = 100_000, stopped: int | None = None) -> Member:
    return Member(id_, started, heartbeat, stopped)


def view(me: str, *members: Member) -> Membership:
    ms = Membership(me, LEASE)
    ms.update(members)
    return ms


@pytest.mark.parametrize(("members", "at", "counted"), [
    ([m("a")], 100_000, ("a",)),
    ([m("a"), m("b")], 100_000, ("a", "b")),
    # b registered at 90 s: not settled before 110 s, so a alone runs 100 s
    ([m("a"), m("b", started=90_000)], 100_000, ("a",)),
    ([m("a"), m("b", started=90_000)], 110_000, ("a", "b")),
    # nobody settled yet (runners starting together): all live ones count
    ([m("a", started=95_000), m("b", started=96_000)], 100_000, ("a", "b")),
    # b's last heartbeat at 100 s: it counts until 130 s
    ([m("a", heartbeat=200_000), m("b")], 129_999, ("a", "b")),
    ([m("a", heartbeat=200_000), m("b")], 130_000, ("a",)),
    # b stopped cleanly at 105 s: it stops counting at once
    ([m("a"), m("b", stopped=105_000)], 105_000, ("a",)),
])
def test_counted_members(members: list[Member], at: int, counted: tuple[str, ...]) -> None:
    assert view("a", *members).counted(at) == counted


def test_each_probe_has_exactly_one_owner_and_all_agree() -> None:
    members = [m("a"), m("b"), m("c")]
    views = [view(x.id, *members) for x in members]
    owners = [[v.owns(k, 100_000) for v in views] for k in KEYS]
    assert all(sum(row) == 1 for row in owners)
    shares = [sum(row[i] for row in owners) for i in range(3)]
    assert min(shares) > 60  # spread: 300 probes, about 100 each


def test_a_joining_member_takes_probes_only_from_others_and_about_its_share() -> None:
    before = {k: owner(k, ["a", "b"]) for k in KEYS}
    after = {k: owner(k, ["a", "b", "c"]) for k in KEYS}
    moved = [k for k in KEYS if before[k] != after[k]]
    assert all(after[k] == "c" for k in moved)
    assert 60 < len(moved) < 140


def test_a_runner_always_counts_itself_even_when_its_view_is_stale() -> None:
    # the database is down: a's own heartbeat is old, b looks silent; a runs everything
    ms = view("a", m("a", heartbeat=100_000), m("b", heartbeat=100_000))
    assert ms.counted(500_000) == ("a",)
    assert all(ms.owns(k, 500_000) for k in KEYS)
    assert view("a").counted(0) == ("a",)  # never read the members: alone


def test_candidates_include_probes_gained_within_the_horizon() -> None:
    ms = view("a", m("a", heartbeat=200_000), m("b", heartbeat=100_000))  # b silent at 130 s
    now_only = ms.candidates(KEYS, 120_000, 5_000)
    ahead = ms.candidates(KEYS, 120_000, 15_000)
    assert now_only == {k for k in KEYS if owner(k, ["a", "b"]) == "a"}
    assert ahead == set(KEYS)
