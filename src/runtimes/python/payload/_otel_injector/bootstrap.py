"""The start sequence (docs/python.md): decide, check, append our paths, set up, hook.
Everything here runs inside sitecustomize's catch-all; a StepAside ends it with one line."""

import os
import sys

from . import config, messages

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # <mount>/python
MIN, MAX = (3, 9), (3, 13)


def _tag():
    return 'cp%d%d' % sys.version_info[:2]


def _manifest(lib):
    path = os.path.join(lib, _tag() + '.json')
    zip_path = os.path.join(lib, _tag() + '.zip')
    if not (os.path.isfile(path) and os.path.isfile(zip_path)):
        raise config.StepAside(
            'Python %d.%d is not supported (supported: %d.%d to %d.%d)' % (sys.version_info[:2] + MIN + MAX)
        )
    import json

    with open(path) as f:
        return json.load(f), zip_path


def _our_paths():
    here = os.path.realpath(HERE)
    return [p for p in sys.path if p and os.path.realpath(p) == here]


def start(environ=None):
    env = os.environ if environ is None else environ
    if '_otel_injector_started' in sys.__dict__:
        return
    sys._otel_injector_started = True  # a second sitecustomize run (reloads) does nothing
    try:
        cfg = config.parse(env)
        if cfg is None:
            return  # OTEL_SDK_DISABLED=true: nothing, silently
        if not cfg['exporters']:
            return  # every OTEL_*_EXPORTER is none
        _start(cfg)
    except config.StepAside as e:
        messages.not_instrumented(str(e))


def _start(cfg):
    from . import conflicts, platform_tags

    manifest, zip_path = _manifest(os.path.join(HERE, 'lib'))
    ours = set(_our_paths())
    app_paths = [p for p in sys.path if p not in ours]
    app_dists = conflicts.installed(app_paths)
    conflict = conflicts.find_conflict(app_dists, manifest.get('dists') or {})
    if conflict is not None:
        raise config.StepAside(conflicts.message(conflict))
    problem = conflicts.api_problem(app_dists)
    if problem is not None:
        raise config.StepAside(problem)
    native = None
    tag = platform_tags.native_tag()
    if tag is not None and tag in ((manifest.get('native') or {}).get('psutil') or {}).get('tags', ()):
        candidate = os.path.join(HERE, 'native', tag)
        if os.path.isdir(candidate):
            native = candidate
    # Ours go to the END: the app's own packages always win.
    # With a trailing separator: zipimport reads the same archive (an empty prefix inside it), while
    # importlib.metadata's path scan cannot list or open 'x.zip/' and skips the entry, so an app's
    # entry-point scan (pydantic makes one in every FastAPI app) does not parse our zip's directory
    # with zipfile: 6-7 ms on 3.10. native/<tag> (psutil) is appended when system metrics start.
    sys.path.append(zip_path + os.sep)
    from . import entry_points

    entry_points.install(manifest.get('entry_points'), manifest.get('dists'))
    if 'opentelemetry-api' in app_dists:
        # the app's own API (its files, its version), sharing our context before our SDK exists
        from . import bridge

        try:
            bridge.prepare(app_dists)
        except bridge.NotBridgeable as e:
            raise config.StepAside(str(e)) from None
    _setup(cfg, manifest, app_dists, native)


def _setup(cfg, manifest, app_dists, native):
    from . import (
        bridge,
        flushing,
        fork,
        hooks,
        instrument,
        logbridge,
        otlp_export,
        providers,
        resource,
        signals,
        system_metrics,
    )

    sdk_version = ((manifest.get('dists') or {}).get('opentelemetry-sdk') or {}).get('version', '')
    providers.setup(cfg, resource.attributes(cfg, sdk_version), flushing.under_way)
    fork.on_child(flushing.after_fork)
    bridge.attach(providers)
    timeout = cfg['shutdown_timeout_s']
    signals.install(lambda: flushing.flush(timeout), lambda: flushing.flush_early(timeout))
    signals.watch_process_pools(hooks.on_import)
    if providers.logger() is not None:
        logbridge.install(providers.logger())
        providers.on_real_logger(logbridge.replace_provider)
    for callback in (instrument.uninstrument_all, logbridge.uninstall, signals.uninstall):
        providers.on_step_aside(callback)
    instrument.install(manifest, app_dists, cfg['disabled'])
    if bridge.active():
        from . import app_instrumentors

        app_instrumentors.watch(instrument, hooks, messages, providers.stepped_aside)
    fork.on_child(hooks.after_fork)
    fork.on_child(otlp_export.after_fork)
    fork.on_child(system_metrics.after_fork)
    fork.on_child(signals.after_fork)
    fork.on_child(signals.watch_uwsgi)
    if providers.meter() is not None and 'system-metrics' not in cfg['disabled']:
        # psutil from native/<tag> or the app's own; skipped without. Started by the first periodic
        # collection (in the reader's thread), not here: importing the instrumentation machinery
        # (wrapt, packaging, psutil) would cost every process start tens of ms.
        providers.before_first_collect(lambda: system_metrics.start(manifest, native))
