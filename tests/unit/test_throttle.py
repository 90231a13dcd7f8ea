"""Failed sign-ins per client: the limit, the window, what the audit keeps, other clients
untouched, and the memory bound."""

from __future__ import annotations

from service.throttle import FailedSignIns


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_blocked_after_the_limit_until_its_window_ends() -> None:
    clock = Clock()
    guard = FailedSignIns(limit=3, window_seconds=60, clock=clock)
    seen = [guard.fail("10.0.0.1") for _ in range(3)]
    assert [(f.failures, f.first, f.throttled) for f in seen] == [
        (1, True, False), (2, False, False), (3, False, True)]
    clock.now += 20
    assert guard.retry_after("10.0.0.1") == 40
    assert guard.retry_after("10.0.0.2") is None  # another client may go on
    clock.now += 39.5
    assert guard.retry_after("10.0.0.1") == 1  # rounded up, never 0
    clock.now += 0.5
    assert guard.retry_after("10.0.0.1") is None
    again = guard.fail("10.0.0.1")
    assert (again.failures, again.first, again.throttled) == (1, True, False)


def test_failures_below_the_limit_never_block() -> None:
    clock = Clock()
    guard = FailedSignIns(limit=3, window_seconds=10, clock=clock)
    for _ in range(5):  # two per window
        guard.fail("a")
        guard.fail("a")
        assert guard.retry_after("a") is None
        clock.now += 10


def test_a_limit_of_one_blocks_after_the_first_failure_and_audits_both() -> None:
    guard = FailedSignIns(limit=1, window_seconds=5, clock=Clock())
    failure = guard.fail("a")
    assert failure.first and failure.throttled and failure.retry_after == 5
    assert guard.retry_after("a") == 5


def test_the_number_of_tracked_clients_is_bounded() -> None:
    clock = Clock()
    guard = FailedSignIns(limit=2, window_seconds=60, clock=clock)
    guard.MAX_CLIENTS = 3
    for client in ("a", "b", "c"):
        guard.fail(client)
        guard.fail(client)
    guard.fail("d")  # no room: the oldest window ("a") goes
    assert guard.retry_after("a") is None
    assert guard.retry_after("b") == 60 and guard.retry_after("c") == 60
    clock.now += 61  # all ended: room is made by dropping ended windows
    guard.fail("e")
    assert len(guard._windows) == 1
