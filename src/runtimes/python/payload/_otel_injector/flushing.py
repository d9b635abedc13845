"""The bounded flush of our providers: at exit and at a termination signal (flush), and in the background
the moment a signal the app handles itself arrives (flush_early). This module alone writes _state (the flush
under way); providers.py asks under_way()."""

import threading
import time

from . import fork, otlp_export, providers

_state = {'flushing': False, 'thread': None, 'early_deadline': None}


def under_way():
    """True from the first exit or signal flush on (in this process: not set in a forked child)."""
    return _state['flushing']


def after_fork():
    """A child is not flushing because its parent was; its flush thread is its own."""
    _state['flushing'] = False
    _state['thread'] = None
    _state['early_deadline'] = None


def flush(timeout_s):
    """force_flush of every provider of ours, all within timeout_s together, whatever the exporters do:
    the flush runs in a daemon thread joined until the deadline (an export already in flight may hold
    the processor's lock for its whole urllib timeout), and every export that starts from now on gets
    at most the time left (otlp_export.shutdown_deadline). Past the deadline the caller goes on (the
    signal is re-raised, the interpreter exits) and the thread is abandoned."""
    fork.notice()
    t = _state['thread']
    early = _state['early_deadline']
    if early is not None and t is not None and t.is_alive():
        # the flush started at the termination signal is still under way (held by the collector): the exit
        # waits for it until that flush's own deadline, not a second bound from now (a pre-fork master
        # would add its own bound to its workers', and a worker its own to its drain)
        timeout_s = max(STALLED_WAIT_S, min(timeout_s, early - time.monotonic()))
    deadline = time.monotonic() + timeout_s
    _state['flushing'] = True
    otlp_export.shutdown_deadline(deadline)
    if t is None or not t.is_alive():  # a second call (SIGINT, then atexit) waits for the first
        t = threading.Thread(target=_flush_all, args=(deadline, True), name='otel-injector-flush', daemon=True)
        try:
            with fork.quiet_threads():
                t.start()
        except RuntimeError:
            # CPython 3.12 refuses new threads once finalization began ("can't create new thread at
            # interpreter shutdown"), which is when atexit runs: flush inline. Every export that
            # starts from now on is bounded by the deadline set above; one already in flight (its
            # processor's lock held, which force_flush would wait for) is waited for until the
            # deadline, then its socket is shut down so that it fails at once.
            otlp_export.settle_in_flight(deadline)
            _flush_all(deadline, True)
            return True
        _state['thread'] = t
    t.join(max(0.0, deadline - time.monotonic()))
    return not t.is_alive()


STALLED_WAIT_S = 0.0  # past the deadline of the flush under way: not a moment more


def flush_early(timeout_s):
    """At a termination signal the app handles itself (gunicorn's master, uvicorn; signals.py wraps their
    handlers): the flush starts in the background at once, so what was recorded leaves while the app shuts
    down, and a pre-fork master's flush overlaps its workers' instead of following them. No shutdown
    deadline is set: exports during the app's own drain keep their time. The exit flush later waits for
    this one (flush()), at most the usual bound, or briefly if this one already used its whole bound."""
    fork.notice()
    t = _state['thread']
    if providers.stepped_aside() or (t is not None and t.is_alive()):
        return
    deadline = time.monotonic() + timeout_s
    t = threading.Thread(target=_flush_all, args=(deadline,), name='otel-injector-flush', daemon=True)
    try:
        with fork.quiet_threads():
            t.start()
    except RuntimeError:
        return
    _state['early_deadline'] = deadline
    _state['thread'] = t


def _flush_all(deadline, side_by_side=False):
    """Flushes every provider of ours, each until the deadline. side_by_side (the exit and signal flush): the
    three at once, so that a slow one (the metrics SDK may have to be imported first, a collector slow on
    spans) does not take the others' time; a spawned pool worker on a saturated machine lost its metric
    point when the meter came last. The early flush (flush_early) goes one by one: it has no shutdown
    deadline and a collector that never answers holds its first export to the end, and side by side there
    made gunicorn's exit 0.6 s slower (the metrics SDK then loads while the workers end). Where no thread can
    start (interpreter shutdown), one by one."""
    threads = []
    for provider in (providers.tracer(), providers.logger(), providers.meter()):
        if provider is None:
            continue
        if side_by_side:
            t = threading.Thread(target=_flush_one, args=(provider, deadline), name='otel-injector-flush', daemon=True)
            try:
                with fork.quiet_threads():
                    t.start()
                threads.append(t)
                continue
            except RuntimeError:
                pass
        _flush_one(provider, deadline)
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))


def _flush_one(provider, deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        return
    try:
        provider.force_flush(int(left * 1000))
    except Exception:
        pass
