"""Failed sign-ins per client address. After `limit` failed tokens within a window, the
client is answered 429 until the window ends, without its tokens being checked; the audit
log gets the first failure of each window and one `auth.throttled` event when the limit
is reached, not a row per guess.

The counts live in the memory of one process: each worker of `xuncha serve --workers N`
keeps its own (a client may try up to N × limit tokens per window), and a restart
forgets them."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Window:
    ends: float  # monotonic time at which the client starts afresh
    failures: int = 0


@dataclass(frozen=True)
class Failure:
    """One failed token of a client, and what the audit log keeps of it."""

    failures: int  # of this client in the current window, this one included
    first: bool  # the window's first failure: recorded as `auth.failed`
    throttled: bool  # this one reached the limit: recorded as `auth.throttled`
    retry_after: int  # seconds until the window ends


class FailedSignIns:
    MAX_CLIENTS = 100_000  # beyond this many tracked clients, the oldest windows go first

    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_seconds, self._clock = limit, window_seconds, clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may present a token again; None when it may now."""
        with self._lock:
            window = self._current(client)
            if window is None or window.failures < self.limit:
                return None
            return self._seconds_left(window)

    def fail(self, client: str) -> Failure:
        """Count a failed token of `client`."""
        with self._lock:
            window = self._current(client)
            if window is None:
                self._make_room()
                window = self._windows[client] = _Window(self._clock() + self.window_seconds)
            window.failures += 1
            return Failure(window.failures, window.failures == 1,
                           window.failures == self.limit, self._seconds_left(window))

    def _current(self, client: str) -> _Window | None:
        window = self._windows.get(client)
        if window is not None and window.ends <= self._clock():
            del self._windows[client]
            return None
        return window

    def _seconds_left(self, window: _Window) -> int:
        return max(1, math.ceil(window.ends - self._clock()))

    def _make_room(self) -> None:
        if len(self._windows) < self.MAX_CLIENTS:
            return
        now = self._clock()
        for client in [c for c, w in self._windows.items() if w.ends <= now]:
            del self._windows[client]
        while len(self._windows) >= self.MAX_CLIENTS:  # all current: drop the oldest
            del self._windows[next(iter(self._windows))]
