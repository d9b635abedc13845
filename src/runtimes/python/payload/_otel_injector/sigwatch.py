"""A SIGTERM that our handler never sees: the backstop.

Where we stand in for SIGTERM's default disposition (signals.py), the process dies by SIGTERM only after
our Python-level handler ran, and Python runs it in the main thread when that thread next checks for
signals. A main thread that is about to block in C (a multiprocessing pool worker waiting in its queue's
semaphore: CPython checks for signals, releases the GIL, then calls sem_wait) can take the signal in
between: CPython's C handler only notes it, sem_wait is not interrupted, and the process waits forever
(seen: a pool worker that never ended and Pool.terminate() waiting for it, 2 runs in 60 under load).
Uninjected, SIGTERM's default kills it in the kernel: this is ours to prevent.

CPython writes the number of every signal its C handler takes to the wakeup fd (signal.set_wakeup_fd):
ours is a pipe that a thread of ours reads. When it reads SIGTERM and our handler has not started within
GRACE_S, it sends SIGTERM again to the main thread itself (signal.pthread_kill), which interrupts the
blocking call there, so the handler runs: flush, then the death by SIGTERM the process would have had.
A wakeup fd the app (asyncio, a framework) sets replaces ours, and one set before ours is left alone."""

import os
import signal
import sys
import threading
import time

GRACE_S = 0.2
RETRIES = 5  # re-deliveries per SIGTERM read, at most

_state = {'r': None, 'w': None, 'is_ours': None, 'handled': None}


def start(is_ours, handled):
    """is_ours(): our handler is SIGTERM's disposition now; handled(): (count, monotonic time) of our
    handler's starts. From the main thread (set_wakeup_fd is refused elsewhere)."""
    _state['is_ours'], _state['handled'] = is_ours, handled
    _open()


def _open():
    try:
        r, w = os.pipe()
    except OSError:
        return
    try:
        os.set_blocking(w, False)
        previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (ValueError, OSError, AttributeError, TypeError):
        _close(r, w)
        return
    if previous != -1:  # someone else's: theirs stays
        _put_back(previous)
        _close(r, w)
        return
    _state['r'], _state['w'] = r, w
    from . import fork

    t = threading.Thread(target=_watch, args=(r,), name='otel-injector-signals', daemon=True)
    try:
        with fork.quiet_threads():
            t.start()
    except RuntimeError:
        stop()


def _close(*fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _watch(r):
    while True:
        try:
            data = os.read(r, 64)
        except InterruptedError:
            continue
        except OSError:
            return
        if not data:
            _close(r)
            return
        if signal.SIGTERM in data:
            try:
                _backstop()
            except Exception:
                pass


def _backstop():
    read_at = time.monotonic()
    count, _ = _state['handled']()
    for _ in range(RETRIES):
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline:
            now_count, last = _state['handled']()
            if now_count != count or last >= read_at - GRACE_S:
                return  # the handler ran: it flushes and ends the process
            time.sleep(0.02)
        if not _state['is_ours']() or 'uwsgi' in sys.modules:  # uWSGI's C handlers own its signals
            return
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def _take_wakeup_fd():
    """The wakeup fd in place, set to none for now; None where it cannot be changed (not the main thread)."""
    try:
        return signal.set_wakeup_fd(-1)
    except (ValueError, OSError):
        return None


def _put_back(fd):
    try:
        signal.set_wakeup_fd(fd)
    except (ValueError, OSError):
        pass


def after_fork():
    """In a forked child: the pipe and its thread were the parent's; a child whose wakeup fd is still ours
    (inherited) gets its own. Where the wakeup fd cannot be changed (not the main thread: uWSGI noticing a
    worker from a request thread) the inherited pipe is left as it is, never closed under it."""
    r, w = _state['r'], _state['w']
    if w is None:
        return
    _state['r'] = _state['w'] = None
    current = _take_wakeup_fd()
    if current is None:
        return
    _close(r, w)
    if current != w:
        _put_back(current)
        return
    _open()


def ensure():
    """In a child of multiprocessing (from its after-fork callbacks, in the main thread): its forkserver sets
    the wakeup fd to none in every child it forks, after Python's fork hooks ran; ours again there."""
    is_ours = _state['is_ours']
    if is_ours is None or not is_ours() or 'uwsgi' in sys.modules:
        return
    current = _take_wakeup_fd()
    if current is None:
        return
    if current != -1:  # ours already, or someone else's: left as it was
        _put_back(current)
        return
    _open()


def stop():
    """At a step-aside: the wakeup fd back to none if it is still ours; the thread ends at EOF."""
    w = _state['w']
    if w is None:
        return
    _state['r'] = _state['w'] = None
    current = _take_wakeup_fd()
    if current is None:
        return
    if current != w:
        _put_back(current)
        return
    _close(w)
