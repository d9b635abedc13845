"""Lazy instrumentation: each instrumentor is imported and applied right after its library's
top-level module has been imported by the app (hooks.on_import), never before. This module alone writes
_state: app_instrumentors.py yields through yield_to_app(), system_metrics.py registers through track()."""

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

# yielded: instrumentations the app applies itself with its own installed instrumentor (app_instrumentors.py)
_state = {'instrumented': [], 'app_dists': {}, 'manifest': {}, 'disabled': set(), 'yielded': set()}


def load(entry_point):
    """The object an entry point ('module:attr.attr') names."""
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
    if name in _state['yielded']:
        return False
    ok = versions_ok(info, _state['app_dists'])
    if ok is False:
        what, spec = _unsupported(info, _state['app_dists'])
        messages.say(
            '%s is outside what the %s instrumentation supports (%s): not instrumented' % (what, name, spec),
            once_key='unsupported-' + name,
        )
        return False
    if not _state.get('dependencies_loaded'):
        _state['dependencies_loaded'] = True
        try:
            import os

            from . import lazy_requirements

            payload_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            lazy_requirements.load(payload_dir)
            lazy_requirements.load_semconv(payload_dir)
        except Exception:
            pass  # imported the usual way by the instrumentor below
    instrumentor = load(info['entry_point'])()
    if getattr(instrumentor, 'is_instrumented_by_opentelemetry', False):
        return False
    instrumentor.instrument(skip_dep_check=ok is True, **KWARGS.get(name, {}))
    if getattr(instrumentor, 'is_instrumented_by_opentelemetry', True):
        _state['instrumented'].append(instrumentor)
    return True


def _on_import(name, info):
    def callback(module):
        if name == 'starlette' and 'fastapi' in sys.modules and 'fastapi' not in _state['disabled']:
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


def instrumentations():
    """{name: info} of the manifest's instrumentations (empty before install())."""
    return _state['manifest'].get('instrumentations') or {}


def app_version(dist, default=None):
    """The app's installed version of this distribution (normalized name), else default."""
    return _state['app_dists'].get(dist, default)


def track(instrumentor):
    """An instrumentor applied outside apply() (system_metrics.py): uninstrument_all() undoes it too."""
    _state['instrumented'].append(instrumentor)


def yield_to_app(name, is_ours_for_it):
    """The app applies its own instrumentor for `name`: ours is never applied from now on, and the ones of ours
    already applied (is_ours_for_it(instrumentor)) are undone. False when it was yielded already."""
    if name in _state['yielded']:
        return False
    _state['yielded'].add(name)
    for ours in list(_state['instrumented']):
        if is_ours_for_it(ours):
            try:
                ours.uninstrument()
            finally:
                _state['instrumented'].remove(ours)
    return True


def install(manifest, app_dists, disabled):
    _state['manifest'], _state['app_dists'], _state['disabled'] = manifest, app_dists, disabled
    instrumentations = manifest.get('instrumentations') or {}
    for name, trigger in sorted(TRIGGERS.items()):
        info = instrumentations.get(name)
        if info is None or name in disabled:
            continue
        hooks.on_import(trigger, _on_import(name, info))


def uninstrument_all():
    hooks.clear()
    while _state['instrumented']:
        instrumentor = _state['instrumented'].pop()
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
