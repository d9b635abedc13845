"""post-import hooks, log severity, entry points, system metrics' memory limit, lazily loaded modules: pure
functions on real inputs."""

import sys
import textwrap

from _otel_injector import hooks, logbridge


def test_post_import_hook_runs_after_the_module_executed(tmp_path):
    (tmp_path / 'otelinj_fake_lib.py').write_text(
        textwrap.dedent("""
        import otelinj_fake_lib_seen
        otelinj_fake_lib_seen.order.append('module body')
        VALUE = 42
    """)
    )
    (tmp_path / 'otelinj_fake_lib_seen.py').write_text('order = []\n')
    sys.path.insert(0, str(tmp_path))
    try:
        seen = []
        hooks.on_import('otelinj_fake_lib', lambda m: seen.append(('hook', m.VALUE)))
        import otelinj_fake_lib
        import otelinj_fake_lib_seen

        assert otelinj_fake_lib_seen.order == ['module body']
        assert seen == [('hook', 42)]
        assert type(otelinj_fake_lib.__spec__.loader).__name__ != '_Loader'  # the real loader is put back
        hooks.on_import('otelinj_fake_lib', lambda m: seen.append(('already', m.VALUE)))
        assert seen[-1] == ('already', 42)
    finally:
        sys.path.remove(str(tmp_path))


def test_severity_numbers():
    assert [logbridge.severity_number(n) for n in (10, 20, 30, 40, 50, 0, 5, 25)] == [5, 9, 13, 17, 21, 0, 2, 10]


def test_entry_points_from_the_manifest_and_fallback():
    from _otel_injector import entry_points

    mod = entry_points.make_module(
        {
            'opentelemetry_propagator': {
                'tracecontext': (
                    '_otel_injector_vendor.opentelemetry.trace.propagation.tracecontext:TraceContextTextMapPropagator'
                )
            }
        },
        {'opentelemetry-sdk': {'version': '9.9.9'}, 'pytest': {'version': '0.0.1'}},
    )
    found = mod.entry_points(group='opentelemetry_propagator', name='tracecontext')
    assert [ep.name for ep in found] == ['tracecontext']
    assert type(next(iter(found)).load()()).__name__ == 'TraceContextTextMapPropagator'
    assert list(mod.entry_points(group='opentelemetry_propagator', name='no-such')) == []  # real scan: none either
    assert [ep.name for ep in mod.entry_points(group='console_scripts', name='pytest')] == ['pytest']  # real scan
    assert mod.version('opentelemetry_sdk') == '9.9.9'
    import pytest as real

    assert mod.version('pytest') == real.__version__  # not an opentelemetry-* dist: the real metadata
    assert issubclass(mod.PackageNotFoundError, Exception)


def test_memory_limit_prefers_the_container_limit(tmp_path):
    from _otel_injector import system_metrics

    total = 8 * 2**30
    v2, v1 = tmp_path / 'memory.max', tmp_path / 'memory.limit_in_bytes'
    paths = (str(v2), str(v1))
    assert system_metrics.memory_limit(paths, total) == total, 'no cgroup files: the machine'
    v2.write_text('max\n')
    v1.write_text('%d\n' % (2**63 - 4096))
    assert system_metrics.memory_limit(paths, total) == total, 'v2 "max" and a v1 "no limit": the machine'
    v1.write_text('%d\n' % (512 * 2**20))
    assert system_metrics.memory_limit(paths, total) == 512 * 2**20, 'a v1 limit'
    v2.write_text('%d\n' % (256 * 2**20))
    assert system_metrics.memory_limit(paths, total) == 256 * 2**20, 'v2 first'


def test_a_lazily_loaded_module_is_never_seen_half_initialized_by_another_thread(tmp_path, monkeypatch):
    # The metrics timer thread imports (vendored) opentelemetry.instrumentation._semconv while the main thread may be
    # running it through lazy_requirements: the other thread must wait, as with a normal import.
    import builtins
    import threading
    import time

    from _otel_injector import lazy_requirements

    (tmp_path / 'slow_semconv_stand_in.py').write_text('import time\ntime.sleep(0.6)\nNAME = 42\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    results = {}

    def lazy():
        results['loaded'] = lazy_requirements._load(
            'slow_semconv_stand_in', 'no.such.target', str(tmp_path), lambda ns: builtins
        )

    def importer():
        time.sleep(0.2)
        try:
            from slow_semconv_stand_in import NAME

            results['name'] = NAME
        except ImportError as e:
            results['name'] = repr(e)

    threads = [threading.Thread(target=lazy), threading.Thread(target=importer)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    sys.modules.pop('slow_semconv_stand_in', None)
    assert results == {'loaded': True, 'name': 42}
