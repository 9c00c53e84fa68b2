"""The cloud's state lock lets the threads waiting for it go first when a long advance asks it to."""
from __future__ import annotations

import threading
import time

from awslab.cloud.state_lock import StateLock


def test_waiters_are_counted_and_served_before_the_yielding_thread_takes_the_lock_again():
    lock, order = StateLock(), []
    lock.acquire()
    waiter = threading.Thread(target=lambda: (lock.acquire(), order.append("waiter"), lock.release()))
    waiter.start()
    deadline = time.monotonic() + 10
    while lock.waiting != 1:
        assert time.monotonic() < deadline, "the waiter never queued"
        time.sleep(0.001)
    lock.release()
    lock.yield_to_waiters(longest_s=10)
    with lock:
        order.append("advance")
    waiter.join()
    assert order == ["waiter", "advance"] and lock.waiting == 0


def test_a_thread_that_still_holds_the_lock_does_not_wait_for_waiters_it_blocks():
    lock = StateLock()
    with lock:
        with lock:  # re-entrant, as a control route that advances its own clock would be
            assert lock.yield_to_waiters(longest_s=5) == 0.0
    assert lock.acquire(blocking=False)
    lock.release()
