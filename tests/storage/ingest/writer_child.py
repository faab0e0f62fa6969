"""Child process for the kill -9 test: writes results forever and prints, after each commit,
`committed <first_id> <last_id> <count>` (run ids of one batch are one contiguous range)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta

from storage.database import open_store
from storage.ingest.writer import ResultWriter, WrittenRun
from tests.storage.factories import T0, result


def report(batch: Sequence[WrittenRun]) -> None:
    ids = [w.run_id for w in batch]
    print(f"committed {min(ids)} {max(ids)} {len(ids)}", flush=True)


async def main(url: str) -> None:
    store = open_store(url)
    writer = ResultWriter(store, batch_size=200, flush_interval=0.01, on_written=report)
    await writer.start()
    i = 0
    while True:
        for _ in range(100):
            i += 1
            writer.submit(result(probe=f"p{i % 5}", at=T0 + timedelta(milliseconds=i), steps=2))
        if writer.pending > 1000:
            await writer.flush()
        await asyncio.sleep(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
