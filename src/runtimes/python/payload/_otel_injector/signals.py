"""SIGTERM / SIGINT / atexit: a bounded flush, then the exit the process would have had without us.

SIGTERM (default disposition): flush, restore the previous disposition, re-raise the signal: the
process dies by SIGTERM as it would have. SIGINT (Python's default_int_handler): flush, then hand over
to the previous handler (KeyboardInterrupt as usual). A server that installs its own handler (uvicorn,
gunicorn) saves ours and, when it re-raises after its graceful stop, ours flushes then.
A disposition the image set to SIG_IGN, or a handler already installed, is left alone.

A child of multiprocessing (Process, Pool) started by 'fork' or 'forkserver' ends with os._exit() right
after its work: no atexit, no signal. multiprocessing runs its finalizers just before (util._exit_function
in Process._bootstrap), and drops those of the parent first; so every such child registers the flush as a
finalizer of its own, from multiprocessing's after-fork callbacks. Celery's pool (billiard) is the same
code under another name, except that its pool children end earlier, in billiard.pool.Worker._do_exit:
the flush is put in front of that."""

import atexit
import os
import signal
import threading
import time

from . import sigwatch

_state = {
    'flush': None,
    'early': None,
    'installed': {},
    'wrapped': {},
    'busy': False,
    'deferred': None,
    'exit_flushed': False,
    'handled': (0, 0.0),  # our handler's starts: count, monotonic time (sigwatch reads them)
}
# the signal module's own functions: ours stand in for them (stand_in_for_default) and call these
_set, _get = signal.signal, signal.getsignal


def _flush():
    """The bounded flush, never twice at once: a signal that arrives while this thread is flushing (the
    exit flush runs inline on CPython 3.12, holding a processor's lock: a second flush in the handler
    would wait for it forever) is handled once that flush is done."""
    flush = _state['flush']
    if flush is None or _state['busy']:
        return False
    _state['busy'] = True
    try:
        flush()
    except Exception:
        pass
    finally:
        _state['busy'] = False
    deferred, _state['deferred'] = _state['deferred'], None
    if deferred is not None:
        _handler(deferred, None)
    return True


def _at_exit():
    if not _state['exit_flushed']:  # uWSGI's own exit hook ran it already (watch_uwsgi)
        _state['exit_flushed'] = True
        _flush()


def after_fork():
    """In a forked child: not in its parent's flush. A Pool's handler thread forks replacement workers while
    the main thread may be flushing at exit: the child inherited 'busy', deferred its SIGTERM forever and
    never ended (Pool.terminate() waited for it)."""
    _state['busy'] = False
    _state['deferred'] = None
    _state['exit_flushed'] = False
    _state['handled'] = (0, 0.0)
    sigwatch.after_fork()


def watch_uwsgi():
    """In a uWSGI worker (noticed at its first span, log record or measurement: uWSGI forks in C without
    Python's fork hooks): the exit flush runs from `uwsgi.atexit`, which uWSGI calls before it finalizes
    the interpreter, so the flush gets its thread and its bound (Python's atexit comes later, inside the
    finalization, from uWSGI's signal handler: too late on CPython 3.12). The app's own uwsgi.atexit runs
    first."""
    import sys

    uwsgi = sys.modules.get('uwsgi')
    if uwsgi is None or getattr(uwsgi, 'atexit', None) is _uwsgi_atexit:
        return
    _state['uwsgi_previous'] = getattr(uwsgi, 'atexit', None)
    uwsgi.atexit = _uwsgi_atexit
    _say_uwsgi_stop(uwsgi)


def _say_uwsgi_stop(uwsgi):
    """uWSGI's brutal stop (SIGTERM with --die-on-term, or its default reload) ends a worker that is busy with a
    request at that moment without any exit hook (python_plugin.c skips them for a busy worker), so what it
    recorded since its last export is lost; its graceful stop lets the worker finish and runs them. One line
    per pod, from worker 1, unless the graceful stop is configured."""
    try:
        if uwsgi.worker_id() != 1:
            return
        hooks = uwsgi.opt.get('hook-master-start', b'')
        hooks = b' '.join(hooks) if isinstance(hooks, list) else hooks
        if b'gracefully_kill_them_all' in (hooks if isinstance(hooks, bytes) else str(hooks).encode()):
            return
    except Exception:
        return
    from . import messages

    messages.say(
        'uWSGI stops its workers brutally on SIGTERM: a worker busy with a request then exits without exit hooks'
        ' and its telemetry since the last export is lost; for a graceful stop that flushes add'
        ' --hook-master-start "unix_signal:15 gracefully_kill_them_all"',
        once_key='uwsgi-stop',
    )


def _uwsgi_atexit():
    """uWSGI's worker exit: the ending signals are blocked first, for the rest of the exit. A worker often
    gets two (the master's SIGINT, and the SIGTERM an init such as dumb-init or tini -g sends the whole
    process group): uWSGI's C handler calls exit() again from inside the first exit's handlers, which ended
    the worker in the middle of its flush and skipped the app's own atexit (a worker's telemetry was lost)."""
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP})
    except (AttributeError, OSError, ValueError):
        pass
    previous = _state.get('uwsgi_previous')
    try:
        if callable(previous):
            previous()
    finally:
        _at_exit()


def _handler(signum, frame):
    _state['handled'] = (_state['handled'][0] + 1, time.monotonic())
    if _state['busy']:
        _state['deferred'] = signum  # interrupting our own flush: after it (_flush)
        return
    previous = _state['installed'].get(signum)
    _flush()
    if signum == signal.SIGTERM or previous in (signal.SIG_DFL, None):
        try:
            _set(signum, previous if previous is not None else signal.SIG_DFL)
        except (ValueError, OSError, TypeError):
            pass
        if previous in (signal.SIG_DFL, None):
            os.kill(os.getpid(), signum)
            return
    if callable(previous):
        previous(signum, frame)


def install(flush, early=None):
    """flush(): a bounded force-flush of every provider; early(): the same started in the background (at a
    termination signal the app handles itself)."""
    _state['flush'] = flush
    _state['early'] = early
    atexit.register(_at_exit)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            current = _get(signum)
        except (ValueError, OSError):
            continue
        if current in (signal.SIG_DFL, signal.default_int_handler):
            _state['installed'][signum] = current
            try:
                _set(signum, _handler)
            except (ValueError, OSError):
                _state['installed'].pop(signum, None)
    signal.signal, signal.getsignal = _signal, _getsignal
    if _get(signal.SIGTERM) is _handler:
        sigwatch.start(lambda: _get(signal.SIGTERM) is _handler, lambda: _state['handled'])


def _signal(signum, handler):
    """signal.signal, except for SIGTERM and SIGINT: SIG_DFL installs ours in its place (the process still
    dies by that signal, after the flush), and a handler of the app's is wrapped so that the flush starts in
    the background the moment the signal arrives (flushing.flush_early). Servers reset the default before
    they re-raise the signal after their graceful stop (uvicorn's, also under gunicorn's UvicornWorker,
    which sets SIG_DFL in every worker): without this, a worker's spans, metrics and logs died with it at
    every rollout. What the caller sees is unchanged: the previous disposition is returned as it was set,
    and signal.getsignal() shows the app's handler, never ours or the wrapper."""
    if _state['flush'] is None or signum not in (signal.SIGTERM, signal.SIGINT):
        return _set(signum, handler)
    if handler is signal.SIG_DFL:
        previous = _set(signum, _handler)
        shown = _shown(signum, previous)
        _state['installed'][signum] = signal.SIG_DFL
        return shown
    if callable(handler) and handler is not _handler and not getattr(handler, '_otel_injector_wraps', None):
        wrapper = _wrap(handler)
        previous = _set(signum, wrapper)
        shown = _shown(signum, previous)
        _state['wrapped'][signum] = wrapper
        return shown
    return _shown(signum, _set(signum, handler))


def _wrap(handler):
    def wrapper(signum, frame):
        early = _state['early']
        if early is not None and not _state['busy']:
            try:
                early()
            except Exception:
                pass
        return handler(signum, frame)

    wrapper._otel_injector_wraps = handler
    return wrapper


def _shown(signum, previous):
    """What the caller of signal.signal gets back for the disposition `previous` that was in place."""
    if previous is _handler:
        return _state['installed'].pop(signum, previous)
    return getattr(previous, '_otel_injector_wraps', None) or previous


def _getsignal(signum):
    """signal.getsignal, showing the disposition ours stands in for instead of ours, and the app's handler
    instead of its wrapper."""
    current = _get(signum)
    if current is _handler:
        return _state['installed'].get(signum, current)
    return getattr(current, '_otel_injector_wraps', None) or current


class _Token:
    """What multiprocessing's after-fork registry keeps (a weak reference) for our callback."""


_TOKEN = _Token()
POOL_MODULES = ('multiprocessing.util', 'billiard.util')


def watch_process_pools(on_import):
    """on_import(module name, callback): the post-import hook (hooks.on_import)."""
    for name in POOL_MODULES:
        on_import(name, _register_after_fork)
    on_import('billiard.pool', _flush_before_billiard_exit)


def _flush_before_billiard_exit(pool):
    """Celery's prefork pool child (billiard.pool.Worker) ends in its own _do_exit with os._exit(), before
    the process's finalizers (billiard's Process._bootstrap never gets to them): the flush runs first."""
    worker = getattr(pool, 'Worker', None)
    original = getattr(worker, '_do_exit', None)
    if original is None or getattr(original, '_otel_injector', False):
        return

    def _do_exit(self, *args, **kwargs):
        _flush()
        return original(self, *args, **kwargs)

    _do_exit._otel_injector = True
    _do_exit.__wrapped__ = original
    worker._do_exit = _do_exit


def _register_after_fork(util):
    try:
        util.register_after_fork(_TOKEN, lambda _token: _finalizer(util))
    except Exception:
        pass


def _finalizer(util):
    """In a multiprocessing child, after its parent's finalizers were dropped: our flush runs with the
    last of the child's own (exitpriority below the app's usual 0 and up); sigwatch again where the
    forkserver reset the wakeup fd."""
    try:
        util.Finalize(None, _flush, exitpriority=-100)
    except Exception:
        pass
    sigwatch.ensure()


def uninstall():
    """Puts back what we replaced, where ours is still the installed handler (a wrapped handler of the
    app's stays: it only calls the app's now)."""
    _state['flush'] = None
    _state['early'] = None
    sigwatch.stop()
    for signum, previous in list(_state['installed'].items()):
        try:
            if _get(signum) is _handler:
                _set(signum, previous)
        except (ValueError, OSError):
            pass
    _state['installed'].clear()
    if signal.signal is _signal:
        signal.signal, signal.getsignal = _set, _get
