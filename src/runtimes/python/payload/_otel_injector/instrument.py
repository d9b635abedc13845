"""Lazy instrumentation: each instrumentor is imported and applied right after its library's
top-level module has been imported by the app (hooks.on_import), never before."""

import importlib
import sys

from . import conflicts, hooks, messages

# instrumentation name (the entry point name, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS) -> the module whose
# import triggers it
TRIGGERS = {
    'fastapi': 'fastapi',
    'starlette': 'starlette',
    'flask': 'flask',
    'django': 'django',
    'httpx': 'httpx',
    'requests': 'requests',
    'urllib3': 'urllib3',
    'aiohttp-client': 'aiohttp',
    'sqlalchemy': 'sqlalchemy',
    'psycopg': 'psycopg',
    'psycopg2': 'psycopg2',
    'asyncpg': 'asyncpg',
    'redis': 'redis',
    'pika': 'pika',
    'aio-pika': 'aio_pika',
    'celery': 'celery',
}

# Options we pass: FastAPI's per-message `http send` / `http receive` internal spans (two or more per
# request, the bulk of its per-request cost) are left out; the server span carries the status.
KWARGS = {'fastapi': {'exclude_spans': ['receive', 'send']}}

# yielded: instrumentations the app applies itself with its own installed instrumentor (bridge.py)
state = {'instrumented': [], 'app_dists': {}, 'manifest': {}, 'disabled': set(), 'yielded': set()}


def _load(entry_point):
    module, _, attr = entry_point.partition(':')
    obj = importlib.import_module(module)
    for part in attr.split('.'):
        obj = getattr(obj, part)
    return obj


def versions_ok(info, app_dists):
    """True / False when the app's installed library version is known to fit / not to fit the
    instrumentation; None when the dist was not seen (the instrumentor's own check decides then)."""
    needs = info.get('instruments') or {}
    any_of = info.get('instruments_any') or {}
    for dist, spec in needs.items():
        version = app_dists.get(conflicts.normalize(dist))
        if version is None:
            return None
        if not conflicts.satisfies(version, spec):
            return False
    if any_of:
        seen = [(d, s) for d, s in any_of.items() if conflicts.normalize(d) in app_dists]
        if not seen:
            return None
        return any(conflicts.satisfies(app_dists[conflicts.normalize(d)], s) for d, s in seen)
    return True


def _unsupported(info, app_dists):
    for dist, spec in dict(info.get('instruments_any') or {}, **(info.get('instruments') or {})).items():
        version = app_dists.get(conflicts.normalize(dist))
        if version is not None and not conflicts.satisfies(version, spec):
            return '%s %s' % (dist, version), spec
    return None, None


def apply(name, info):
    if name in state['yielded']:
        return False
    ok = versions_ok(info, state['app_dists'])
    if ok is False:
        what, spec = _unsupported(info, state['app_dists'])
        messages.say(
            '%s is outside what the %s instrumentation supports (%s): not instrumented' % (what, name, spec),
            once_key='unsupported-' + name,
        )
        return False
    if not state.get('dependencies_loaded'):
        state['dependencies_loaded'] = True
        try:
            import os

            from . import lazy_requirements

            payload_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            lazy_requirements.load(payload_dir)
            lazy_requirements.load_semconv(payload_dir)
        except Exception:
            pass  # imported the usual way by the instrumentor below
    instrumentor = _load(info['entry_point'])()
    if getattr(instrumentor, 'is_instrumented_by_opentelemetry', False):
        return False
    instrumentor.instrument(skip_dep_check=ok is True, **KWARGS.get(name, {}))
    if getattr(instrumentor, 'is_instrumented_by_opentelemetry', True):
        state['instrumented'].append(instrumentor)
    return True


def _on_import(name, info):
    def callback(module):
        if name == 'starlette' and 'fastapi' in sys.modules and 'fastapi' not in state['disabled']:
            return  # fastapi is being imported: its instrumentor covers the app (no second server span)
        try:
            if name == 'django':
                _wrap_django_setup(module, info)
            else:
                apply(name, info)
        except Exception as e:
            messages.say(
                'instrumentation %s failed, the app runs without it: %s: %s' % (name, type(e).__name__, e),
                once_key='failed-' + name,
            )

    return callback


def _wrap_django_setup(django, info):
    """DjangoInstrumentor edits settings.MIDDLEWARE: it can only run once settings are configured,
    i.e. after django.setup() (called by get_wsgi_application/get_asgi_application/manage.py)."""
    original = django.setup

    def setup(*args, **kwargs):
        result = original(*args, **kwargs)
        try:
            django.setup = original
            apply('django', info)
        except Exception as e:
            messages.say(
                'instrumentation django failed, the app runs without it: %s: %s' % (type(e).__name__, e),
                once_key='failed-django',
            )
        return result

    django.setup = setup


def install(manifest, app_dists, disabled):
    state['manifest'], state['app_dists'], state['disabled'] = manifest, app_dists, disabled
    instrumentations = manifest.get('instrumentations') or {}
    for name, trigger in sorted(TRIGGERS.items()):
        info = instrumentations.get(name)
        if info is None or name in disabled:
            continue
        hooks.on_import(trigger, _on_import(name, info))


def uninstrument_all():
    hooks.clear()
    while state['instrumented']:
        instrumentor = state['instrumented'].pop()
        unbuilt = _unbuilt_apps(instrumentor)
        try:
            instrumentor.uninstrument()
        except Exception:
            pass
        _unbuild(unbuilt)


# The FastAPI / Starlette instrumentors' uninstrument_app() builds each app's middleware stack at once
# (app.middleware_stack = app.build_middleware_stack()). Starlette builds it at the first request only
# while it is None, so an app that then instruments itself (FastAPIInstrumentor.instrument_app, which
# only replaces build_middleware_stack) would never get its middleware, and app.add_middleware() would
# raise. The apps whose stack was not built yet get None back: built at their first request, as without us.
_APP_SETS = (
    ('_InstrumentedFastAPI', '_instrumented_fastapi_apps'),
    ('_InstrumentedStarlette', '_instrumented_starlette_apps'),
)


def _unbuilt_apps(instrumentor):
    apps = []
    try:
        module = sys.modules.get(type(instrumentor).__module__)
        for cls_name, attr in _APP_SETS:
            tracked = getattr(getattr(module, cls_name, None), attr, None) or ()
            apps += [app for app in list(tracked) if getattr(app, 'middleware_stack', False) is None]
    except Exception:
        pass
    return apps


def _unbuild(apps):
    for app in apps:
        try:
            app.middleware_stack = None
        except Exception:
            pass


# ---- process and system metrics (psutil) -------------------------------------------------------------
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


def system_metrics(manifest, native=None):
    """Starts the system-metrics instrumentation (process.* and system.* from psutil); False when psutil
    is not importable on this platform (no native build for it)."""
    if state.get('system_metrics') is not None:
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
    instrumentor = _load(info['entry_point'])(config=dict(SYSTEM_METRICS))
    instrumentor.instrument(skip_dep_check=True)
    state['instrumented'].append(instrumentor)
    state['system_metrics'] = instrumentor
    _memory_utilization()
    return True


def after_fork():
    """In a forked child: process.* metrics describe this process, not the parent it was forked from
    (the instrumentation and ours each keep a psutil.Process made in the parent)."""
    instrumentor = state.get('system_metrics')
    if instrumentor is None or 'psutil' not in sys.modules:
        return
    import psutil

    if getattr(instrumentor, '_proc', None) is not None:
        instrumentor._proc = psutil.Process()
    _process['psutil'] = psutil.Process()


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


_process = {'psutil': None}  # this process, for process.memory.utilization (replaced in a forked child)


def _memory_utilization():
    """process.memory.utilization (the system-metrics instrumentation has none): the process's RSS as a
    fraction of memory_limit(), so in a pod with a limit it reads against that limit."""
    try:
        import psutil
        from _otel_injector_vendor.opentelemetry import metrics
        from _otel_injector_vendor.opentelemetry.metrics import Observation

        _process['psutil'] = psutil.Process()
        limit = memory_limit()

        def observe(_options):
            return [Observation(_process['psutil'].memory_info().rss / float(limit))]

        metrics.get_meter('otel-injector.process').create_observable_gauge(
            'process.memory.utilization',
            callbacks=[observe],
            unit='1',
            description='Resident memory of the process as a fraction of the memory it may use '
            '(the container limit, else the machine)',
        )
    except Exception:
        pass
