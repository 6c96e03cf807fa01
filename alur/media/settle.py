"""Process settings a media server wants once start-up is over (used by `alur serve` and the media
benchmarks, so the benchmarks measure what the server does)."""

from __future__ import annotations

import gc
import sys


def settle_for_media() -> None:
    """Keep the objects built at start-up (modules, the project, caches) out of every later garbage
    collection: a full collection walked them all and stalled the loop for up to 150 ms with 300 calls
    up, long enough for callers to hear a gap and for overload control to refuse new calls. And let
    the event loop take the interpreter back from other threads (the store's writer, aiortc's codecs)
    within 2 ms (default 5), so they cannot hold up a media tick by more than that."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(0.002)
