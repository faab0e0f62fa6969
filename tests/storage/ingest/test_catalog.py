from __future__ import annotations

import sqlalchemy as sa

from storage.database import Store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.schema import integrations_t, probes_t
from tests.storage.factories import result


def _probes(store: Store) -> dict[str, tuple[int, int | None]]:
    stmt = sa.select(integrations_t.c.name, probes_t.c.name, probes_t.c.id, probes_t.c.retired_ms)
    stmt = stmt.join(integrations_t, integrations_t.c.id == probes_t.c.integration_id)
    with store.engine.connect() as conn:
        return {f"{i}/{p}": (pid, r) for i, p, pid, r in conn.execute(stmt)}


async def test_restart_keeps_ids_rename_is_new_removed_is_retired(any_store: Store) -> None:
    first = sync_catalog(
        any_store,
        [
            ("pay", "auth", "http", {}),
            ("pay", "list", "http", {"interval": 30}),
            ("mail", "tls", "tls", {}),
        ],
        integrations={"pay": {"description": "Payments", "tags": ["billing"]}},
        now_ms_=1000,
    )
    assert set(first) == {"pay/auth", "pay/list", "mail/tls"}
    async with ResultWriter(any_store, first) as writer:
        writer.submit(result("pay", "list"))

    # restart with the same config: same ids, nothing retired
    assert (
        sync_catalog(
            any_store,
            [("pay", "auth", "http", {}), ("pay", "list", "http", {}), ("mail", "tls", "tls", {})],
            now_ms_=2000,
        )
        == first
    )

    # rename pay/list -> pay/charges, drop the mail integration
    second = sync_catalog(
        any_store, [("pay", "auth", "http", {}), ("pay", "charges", "http", {})], now_ms_=3000
    )
    assert second["pay/auth"] == first["pay/auth"]
    assert second["pay/charges"] not in first.values()
    rows = _probes(any_store)
    assert rows["pay/list"] == (first["pay/list"], 3000)
    assert rows["mail/tls"] == (first["mail/tls"], 3000)
    assert rows["pay/charges"][1] is None and rows["pay/auth"][1] is None
    with any_store.engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT probe_id FROM runs")).scalars().all()
        stmt2 = sa.select(integrations_t.c.name, integrations_t.c.retired_ms)
        integ = {name: retired for name, retired in conn.execute(stmt2)}
        desc = conn.execute(
            sa.select(integrations_t.c.description, integrations_t.c.tags).where(
                integrations_t.c.name == "pay"
            )
        ).one()
    assert runs == [first["pay/list"]]  # history of the retired probe intact
    assert integ == {"pay": None, "mail": 3000}
    assert tuple(desc) == ("Payments", ["billing"])

    # the probe comes back: same id, un-retired
    third = sync_catalog(any_store, [("pay", "list", "http", {})], now_ms_=4000)
    assert third["pay/list"] == first["pay/list"]
    assert _probes(any_store)["pay/list"][1] is None
