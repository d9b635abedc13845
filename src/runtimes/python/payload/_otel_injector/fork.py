"""One process, one source: what a forked child (gunicorn, uWSGI and Celery workers, multiprocessing's
'fork' and 'forkserver' children, an app's own os.fork) gets from us, and each process's identity.

A child starts with a copy of the parent's memory as it was at the fork, with only the forking thread:
every lock another thread of the parent held then (an export in flight, the metrics reader collecting,
one of our lazy imports) stays held forever in the child. So at the fork:
- before it, the forking thread waits (bounded) until no lazy import of ours is under way (`guard()`):
  a module lock the import system holds for one of our threads never ends up held in a child;
- right after it, in the child, our hook runs first (registered before any provider or processor of the
  SDK): fresh locks for every object of ours, this process's pid and `service.instance.id` written into
  the one Resource every provider shares, then the child callbacks of the modules (metrics start over
  fresh, the exporter forgets the parent's requests in flight, the post-import hooks get a new lock).
  The SDK's own after-fork resource update of our providers (a ThreadPoolExecutor running resource
  detectors: it waited forever on concurrent.futures' module lock when that module was imported after
  our start) is replaced by `relock` (locks only, no thread, no wait).

Identity: the container's first instrumented Python process keeps the `service.instance.id` the webhook
gave (OTEL_RESOURCE_ATTRIBUTES); every process descending from one (forked, or started with the
inherited environment: multiprocessing's spawn, uvicorn --workers, a subprocess) gets
`<that value>.<pid>`, so two workers of one container never share an SDK identity (the specification
wants service.instance.id unique per SDK instance) and their metric series never merge."""

import os
import signal
import threading

ROOT_VAR = 'OTEL_INJECTOR_PYTHON_ROOT_PID'
GUARD_WAIT_S = 1.0  # the longest a fork waits for one of our lazy imports to finish

_LOCK = type(threading.Lock())
_RLOCKS = tuple({type(threading.RLock()), threading._RLock})

_state = {
    'resource': None,
    'attributes': None,
    'base_instance_id': None,
    'callbacks': [],
    'installed': False,
    'guard': threading.RLock(),
    'held': False,
    'pid': os.getpid(),
    'noticing': threading.Lock(),
}


# ---- identity ----------------------------------------------------------------------------------------
def identity(attributes, environ=None):
    """At start: the resource attributes of this process (service.instance.id made unique for a process
    that descends from an instrumented one); marks the environment when this process is the first."""
    env = os.environ if environ is None else environ
    base = attributes.get('service.instance.id')
    _state['base_instance_id'] = base
    root = (env.get(ROOT_VAR) or '').strip()
    pid = os.getpid()
    if root and root != str(pid):
        return _for_pid(attributes, pid)
    try:
        env[ROOT_VAR] = str(pid)
    except Exception:
        pass
    return dict(attributes)


def _for_pid(attributes, pid):
    out = dict(attributes)
    out['process.pid'] = pid
    base = _state['base_instance_id']
    if base:
        out['service.instance.id'] = '%s.%d' % (base, pid)
    return out


def track_resource(resource, attributes):
    """The Resource every provider of ours shares: rewritten in place in a forked child."""
    _state['resource'], _state['attributes'] = resource, dict(attributes)


def _rewrite_resource():
    resource, attributes = _state['resource'], _state['attributes']
    if resource is None:
        return
    child = _for_pid(attributes, os.getpid())
    fresh = type(resource)(child, getattr(resource, 'schema_url', None) or None)
    # every tracer, span, meter and log record refers to this one object: all of them now say who we are
    resource._attributes = fresh._attributes
    _state['attributes'] = child


# ---- locks -------------------------------------------------------------------------------------------
def fresh_lock(lock):
    """A new unheld lock of the same kind (Lock or RLock); anything else as it is."""
    if isinstance(lock, _LOCK):
        return threading.Lock()
    if isinstance(lock, _RLOCKS):
        return threading.RLock()
    return lock


def relock(obj):
    """Every Lock/RLock attribute of obj replaced by a new one (an after-fork reset that cannot wait on
    anything, whatever the SDK version's attributes are); None is left alone."""
    if obj is None or not hasattr(obj, '__dict__'):
        return
    for name, value in list(vars(obj).items()):
        fresh = fresh_lock(value)
        if fresh is not value:
            setattr(obj, name, fresh)


def guard():
    """Held by our code while it imports lazily (the metrics and logs SDKs, the exporter's urllib): a
    fork waits for it, so no import of ours is split by a fork."""
    return _state['guard']


class quiet_threads:
    """`with fork.quiet_threads():` the threads started inside block every asynchronous signal (a new
    thread inherits its creator's signal mask), so the kernel delivers a process-directed signal to a
    thread of the app. Python runs its handlers in the main thread whoever receives the signal, but
    uWSGI's handlers are C code that ends the process on the thread they land on: an exit on one of our
    threads left the worker's main thread serving forever."""

    def __enter__(self):
        try:
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, _async_signals())
        except (AttributeError, OSError, ValueError):
            self._old = None
        return self

    def __exit__(self, *exc):
        if self._old is not None:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, self._old)
            except (OSError, ValueError):
                pass
        return False


_SYNCHRONOUS = ('SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS', 'SIGABRT', 'SIGKILL', 'SIGSTOP')


def _async_signals():
    signals = _state.get('async_signals')
    if signals is None:
        skip = {getattr(signal, name) for name in _SYNCHRONOUS if hasattr(signal, name)}
        signals = _state['async_signals'] = set(signal.valid_signals()) - skip
    return signals


def hooks_ran():
    """False in a child whose reset ran from notice(): Python's fork hooks, the SDK's among them, did not
    run in it (uWSGI)."""
    return _state.get('hooked', True)


# ---- the hooks ---------------------------------------------------------------------------------------
def on_child(callback):
    """callback() runs in every forked child, after the identity is rewritten, in registration order."""
    _state['callbacks'].append(callback)


def install():
    """Registers our fork hooks; called before any provider exists so that ours run first in a child."""
    if _state['installed'] or not hasattr(os, 'register_at_fork'):
        return
    _state['installed'] = True
    _state['pid'] = os.getpid()
    os.register_at_fork(before=_before, after_in_parent=_after_in_parent, after_in_child=_after_in_child)


def notice():
    """Runs the child's reset now if this process was forked without Python's fork hooks: uWSGI forks its
    workers in C and runs them only with --py-call-osafterfork. Called where a process first touches us
    after a fork (a span, a log record, a measurement, an export, a flush); one getpid() otherwise."""
    if os.getpid() == _state['pid']:
        return
    lock = _state['noticing']
    if not lock.acquire(timeout=GUARD_WAIT_S):
        return
    try:
        if os.getpid() != _state['pid']:
            _after_in_child(hooked=False)
    finally:
        lock.release()


def _before():
    try:
        _state['held'] = _state['guard'].acquire(timeout=GUARD_WAIT_S)
    except Exception:
        _state['held'] = False
    _quiet_fork_warning()


def _after_in_parent():
    if _state['held']:
        _state['held'] = False
        try:
            _state['guard'].release()
        except Exception:
            pass


# ---- CPython 3.12+'s fork warning --------------------------------------------------------------------
# os.fork() in a multi-threaded process warns "This process (pid=N) is multi-threaded, use of fork() may
# lead to deadlocks in the child" (a DeprecationWarning, shown when __main__ forks). When every thread
# but the forking main thread is ours or our SDK's, the warning is about threads whose fork safety this
# module provides, so it is silenced; whenever the app has threads of its own it is left as it is. The
# decision is made again before each fork (CPython 3.13 warns after the after-fork hooks, so the filter
# stays in place from one fork to the next: it only ever matches this warning).
_FORK_WARNING = r'This process \(pid=\d+\) is multi-threaded, use of fork'
_OUR_THREADS = ('otel-injector', 'OtelBatch', 'OtelPeriodicExportingMetricReader')


def _only_our_threads():
    main = threading.main_thread()
    if threading.current_thread() is not main:
        return False
    threads = threading.enumerate()
    if len(threads) < 2 or any(t is not main and not t.name.startswith(_OUR_THREADS) for t in threads):
        return False
    with open('/proc/self/stat') as f:  # native threads that threading does not know make it the app's
        return int(f.read().rsplit(')', 1)[1].split()[17]) == len(threads)


def _quiet_fork_warning():
    import sys

    if sys.version_info < (3, 12):
        return
    try:
        import warnings

        if not hasattr(warnings, '_filters_mutated'):
            return
        entry = _state.get('fork_filter')
        present = entry is not None and entry in warnings.filters
        if _only_our_threads():
            if not present:
                warnings.filterwarnings('ignore', message=_FORK_WARNING, category=DeprecationWarning)
                _state['fork_filter'] = warnings.filters[0]
        elif present:
            warnings.filters.remove(entry)
            warnings._filters_mutated()
    except Exception:
        pass


def _after_in_child(hooked=True):
    _state['hooked'] = hooked
    _state['pid'] = os.getpid()
    _state['noticing'] = threading.Lock()
    _state['guard'] = threading.RLock()
    _state['held'] = False
    try:
        _rewrite_resource()
    except Exception:
        pass
    for callback in list(_state['callbacks']):
        try:
            callback()
        except Exception:
            pass
