"""Process and system metrics (process.* and system.* from psutil, through the system-metrics
instrumentation), plus process.memory.utilization against the container's memory limit. Started by the
first periodic metric collection (bootstrap.py, providers.before_first_collect), not at start: importing
psutil and the instrumentation machinery would cost every process start tens of ms.
This module alone writes _state."""

import sys

from . import instrument

# the instrumentor once started (in this process or, before a fork, in its parent) and this process's
# psutil.Process for process.memory.utilization (replaced in a forked child)
_state = {'instrumentor': None, 'process': None}

SYSTEM_METRICS = {
    'system.cpu.utilization': ['idle', 'user', 'system', 'irq'],
    'system.memory.usage': ['used', 'free', 'cached'],
    'system.memory.utilization': ['used', 'free', 'cached'],
    'system.disk.io': ['read', 'write'],
    'system.network.io': ['transmit', 'receive'],
    'process.cpu.utilization': None,
    'process.cpu.time': ['user', 'system'],
    'process.memory.usage': None,
    'process.memory.virtual': None,
    'process.thread.count': None,
    'process.open_file_descriptor.count': None,
    'process.context_switches': ['involuntary', 'voluntary'],
    'cpython.gc.collections': None,
}


def start(manifest, native=None):
    """Starts the system-metrics instrumentation (process.* and system.* from psutil); False when psutil
    is not importable on this platform (no native build for it)."""
    if _state['instrumentor'] is not None:
        return True  # started in this process or, before a fork, in its parent (after_fork)
    info = (manifest.get('instrumentations') or {}).get('system_metrics') or (
        manifest.get('instrumentations') or {}
    ).get('system-metrics')
    if info is None:
        return False
    if native is not None and native not in sys.path:
        sys.path.append(native)  # after the app's paths: the app's own psutil wins
    try:
        import psutil  # noqa: F401  (native/<tag>, or the app's own)
    except Exception:
        return False
    instrumentor = instrument.load(info['entry_point'])(config=dict(SYSTEM_METRICS))
    instrumentor.instrument(skip_dep_check=True)
    instrument.track(instrumentor)
    _state['instrumentor'] = instrumentor
    _memory_utilization()
    return True


def after_fork():
    """In a forked child: process.* metrics describe this process, not the parent it was forked from
    (the instrumentation and ours each keep a psutil.Process made in the parent)."""
    instrumentor = _state['instrumentor']
    if instrumentor is None or 'psutil' not in sys.modules:
        return
    import psutil

    if getattr(instrumentor, '_proc', None) is not None:
        instrumentor._proc = psutil.Process()
    _state['process'] = psutil.Process()


# cgroup v2, then v1: the container's memory limit ("max", or a v1 "no limit" of ~2**63, means none)
_CGROUP_LIMITS = ('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes')


def memory_limit(paths=_CGROUP_LIMITS, total=None):
    """The memory a process here can use: the container's cgroup limit when there is one below the
    machine's total, else the machine's total (what psutil.virtual_memory() reports)."""
    if total is None:
        import psutil

        total = psutil.virtual_memory().total
    for path in paths:
        try:
            with open(path) as f:
                text = f.read().strip()
        except (OSError, ValueError):
            continue
        if text.isdigit() and 0 < int(text) < total:
            return int(text)
    return total


def _memory_utilization():
    """process.memory.utilization (the system-metrics instrumentation has none): the process's RSS as a
    fraction of memory_limit(), so in a pod with a limit it reads against that limit."""
    try:
        import psutil
        from _otel_injector_vendor.opentelemetry import metrics
        from _otel_injector_vendor.opentelemetry.metrics import Observation

        _state['process'] = psutil.Process()
        limit = memory_limit()

        def observe(_options):
            return [Observation(_state['process'].memory_info().rss / float(limit))]

        metrics.get_meter('otel-injector.process').create_observable_gauge(
            'process.memory.utilization',
            callbacks=[observe],
            unit='1',
            description='Resident memory of the process as a fraction of the memory it may use '
            '(the container limit, else the machine)',
        )
    except Exception:
        pass
