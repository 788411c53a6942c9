"""Pausing Python's cyclic garbage collector while a big run is read.

Reading a run of 100,000 entries allocates a few hundred thousand small objects (tuples,
lists, strings) in one go. Each burst of allocations sets off the cyclic collector, which
then walks the whole growing heap looking for reference cycles that none of these
objects form: about a third of the time the work takes. Reference counting still frees
everything as usual while the collector waits; it runs again once the last pause ends.

When it does, everything allocated meanwhile is in its youngest generation, and its next
collections walk all of it: 60 ms, in two pauses, right as the run of 100,000 entries
appears. What a big read allocates lives as long as the run is open, so the last pause
ends by moving every tracked object to the oldest generation (`gc.freeze` then
`gc.unfreeze`, which splice lists and walk nothing), where only the rare full
collection looks at them. Not when something else has frozen objects (the test suite
does): unfreezing would hand those back to the collector.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


def pause_collector() -> Callable[[], None]:
    """Turn the cyclic collector off until the returned function is called (once; later
    calls do nothing). Pauses are counted, from any thread, and the collector is left as
    the first pause found it."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    released = False

    def release() -> None:
        global _holders
        nonlocal released
        with _lock:
            if released:
                return
            released = True
            _holders -= 1
            if _holders == 0 and _was_enabled:
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()

    return release


@contextmanager
def paused_collector() -> Iterator[None]:
    """The collector off inside the block (see `pause_collector`)."""
    release = pause_collector()
    try:
        yield
    finally:
        release()
