"""Run a producer (reading and splitting a file's chunks) ahead of its consumer, in a thread.

Reading, decompressing and cutting lines is a stage of its own: :func:`prefetch`
moves it to a thread so it overlaps parsing. At most ``depth`` items wait, so the
memory it adds is bounded (``depth`` chunks). An exception of the producer is
raised in the consumer at the position it happened; a consumer that stops early
stops the producer.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def quiet_thread() -> None:
    """Block Ctrl-C and SIGTERM in the calling (helper) thread.

    The kernel gives a process signal to any thread that does not block it; one
    taken by a helper thread never interrupts the main thread's blocking read (of a
    FIFO, say), so Ctrl-C would be noticed only when that read returns. Helper
    threads block them, so the main thread gets them and stops at once.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def python_handles_ctrl_c() -> None:
    """Give Ctrl-C back to Python in the main thread (polars' runtime takes it on import).

    polars installs a SIGINT handler with ``SA_RESTART``: a read blocked on a pipe or
    FIFO is then restarted by the kernel and Ctrl-C is never seen (the run hangs).
    Python's own handler interrupts the read and raises ``KeyboardInterrupt``.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def prefetch(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, produced by a background thread up to ``depth`` ahead.

    Examples
    --------
    >>> list(prefetch(range(5), depth=2))
    [0, 1, 2, 3, 4]
    >>> def broken():
    ...     yield 1
    ...     raise OSError("disk gone")
    >>> got = prefetch(broken())
    >>> next(got)
    1
    >>> next(got)
    Traceback (most recent call last):
    OSError: disk gone
    """
    waiting: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def hand(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        quiet_thread()
        try:
            for item in items:
                if not hand(item):
                    return
        except BaseException as exc:  # raised again in the consumer's thread
            hand(_Failure(exc))
            return
        hand(_DONE)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=0.1)  # a producer blocked in a read exits at its next item
