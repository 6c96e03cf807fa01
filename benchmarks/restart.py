"""How long a start spends reading the live state back from the log: the whole log against the latest
snapshot plus the rows after it.

A log of N realistic calls (20 events each, as in benchmarks/store.py) is written to SQLite; then
`Snapshots.read()` runs twice: first with no snapshot (it folds every row and saves one), then as the
next start does after 1% more calls (the snapshot and the new rows only). The ratio is what a
snapshot saves a start; the fold of the whole log grows with the log, the second with the traffic
since the last snapshot.

    python benchmarks/restart.py                 # 20,000 calls (400,000 events)
    python benchmarks/restart.py --calls 100000
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from store import call_events  # noqa: E402 - the same calls as the store benchmark

from alur.service.snapshots import Snapshots  # noqa: E402
from alur.store.event_store import EventStore  # noqa: E402


def write_calls(store: EventStore, first: int, count: int) -> None:
    batch = []
    for i in range(first, first + count):
        batch += call_events(i, 1_767_250_800.0 + i)
        if len(batch) >= 5_000:
            store.append_many(batch)
            batch = []
    store.append_many(batch)


def timed_read(store: EventStore) -> tuple[float, int]:
    start = time.perf_counter()
    through, _state = Snapshots(store).read()
    return time.perf_counter() - start, through


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000, help="calls in the log (20 events each)")
    args = parser.parse_args()
    if not 100 <= args.calls <= 10_000_000:
        parser.error(f"--calls must be between 100 and 10,000,000 (got {args.calls})")
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(f"sqlite:///{tmp}/log.db")
        print(f"writing {args.calls:,} calls ({args.calls * 20:,} events) ...", flush=True)
        write_calls(store, 0, args.calls)
        whole, rows = timed_read(store)
        more = max(1, args.calls // 100)
        write_calls(store, args.calls, more)
        after, _ = timed_read(store)
        store.close()
    print(f"{'start reads':<44}{'rows':>12}{'seconds':>10}")
    print(f"{'the whole log (no snapshot)':<44}{rows:>12,}{whole:>10.2f}")
    print(f"{'latest snapshot + 1% more calls':<44}{more * 20:>12,}{after:>10.2f}")
    print(f"snapshot start / whole-log start: {after / whole:.3f}")


if __name__ == "__main__":
    main()
