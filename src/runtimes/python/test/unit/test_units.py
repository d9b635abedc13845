"""config, conflicts, platform tags, post-import hooks, log severity: pure functions on real inputs."""

import os
import sys
import textwrap

import pytest
from _otel_injector import config, conflicts, hooks, logbridge, platform_tags


def test_defaults():
    cfg = config.parse({})
    assert set(cfg['exporters']) == {'traces', 'metrics', 'logs'}
    assert cfg['exporters']['traces']['endpoint'] == 'http://localhost:4318/v1/traces'
    assert cfg['exporters']['logs']['protocol'] == 'http/protobuf'
    assert cfg['exporters']['metrics']['timeout_s'] == 10.0
    assert cfg['shutdown_timeout_s'] == 1.0 and cfg['metric_interval_ms'] == 60000.0


def test_sdk_disabled():
    assert config.parse({'OTEL_SDK_DISABLED': 'TRUE'}) is None
    assert config.parse({'OTEL_SDK_DISABLED': 'false'}) is not None


def test_endpoints_headers_timeout_compression():
    cfg = config.parse(
        {
            'OTEL_EXPORTER_OTLP_ENDPOINT': 'https://collector:4318/base/',
            'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT': 'http://logs:9999/custom',
            'OTEL_EXPORTER_OTLP_HEADERS': 'a=1, b = two%20words ,bad, =x',
            'OTEL_EXPORTER_OTLP_TRACES_HEADERS': 'a=override',
            'OTEL_EXPORTER_OTLP_TIMEOUT': '2500',
            'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT': '100',
            'OTEL_EXPORTER_OTLP_COMPRESSION': 'gzip',
            'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL': 'http/json',
            'OTEL_METRIC_EXPORT_INTERVAL': '5000',
            'OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS': '700',
        }
    )
    ex = cfg['exporters']
    assert ex['traces']['endpoint'] == 'https://collector:4318/base/v1/traces'
    assert ex['logs']['endpoint'] == 'http://logs:9999/custom'
    assert ex['traces']['headers'] == {'a': 'override', 'b': 'two words'}
    assert ex['logs']['headers'] == {'a': '1', 'b': 'two words'}
    assert ex['traces']['timeout_s'] == 2.5 and ex['metrics']['timeout_s'] == 0.1
    assert ex['traces']['compression'] == 'gzip'
    assert ex['metrics']['protocol'] == 'http/json' and ex['traces']['protocol'] == 'http/protobuf'
    assert cfg['metric_interval_ms'] == 5000.0 and cfg['shutdown_timeout_s'] == 0.7


def test_exporter_none_and_disabled_instrumentations():
    cfg = config.parse(
        {
            'OTEL_TRACES_EXPORTER': 'none',
            'OTEL_LOGS_EXPORTER': 'none',
            'OTEL_PYTHON_DISABLED_INSTRUMENTATIONS': 'redis, SQLAlchemy,aio_pika',
        }
    )
    assert set(cfg['exporters']) == {'metrics'}
    assert cfg['disabled'] == {'redis', 'sqlalchemy', 'aio-pika'}


@pytest.mark.parametrize(
    'env',
    [
        {'OTEL_EXPORTER_OTLP_PROTOCOL': 'grpc'},
        {'OTEL_EXPORTER_OTLP_ENDPOINT': 'collector:4317'},
        {'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT': 'unix:///sock'},
    ],
)
def test_what_we_cannot_export_steps_aside(env):
    with pytest.raises(config.StepAside):
        config.parse(env)


def test_resource_attributes_percent_decoded():
    from _otel_injector import resource

    cfg = config.parse({'OTEL_RESOURCE_ATTRIBUTES': 'k8s.pod.name=p%2C1,service.name=from-attrs,x=a%3Db'})
    a = resource.attributes(cfg, '1.0')
    assert a['k8s.pod.name'] == 'p,1' and a['x'] == 'a=b' and a['service.name'] == 'from-attrs'
    assert a['telemetry.sdk.language'] == 'python' and a['telemetry.sdk.version'] == '1.0'
    assert a['process.pid'] == os.getpid() and a['process.runtime.name'] == 'cpython'
    cfg = config.parse({'OTEL_RESOURCE_ATTRIBUTES': 'service.name=x', 'OTEL_SERVICE_NAME': 'svc'})
    assert resource.attributes(cfg, '1.0')['service.name'] == 'svc'
    assert resource.attributes(config.parse({}), '1.0')['service.name'].startswith('unknown_service:')


# ---- conflicts -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    'version,spec,ok',
    [
        ('1.45.1', '==1.45.1', True),
        ('1.45.0', '==1.45.1', False),
        ('2.0', '>=1.0,<3.0.0', True),
        ('3.0.0', '<3.0.0', False),
        ('1.17.3', '<3.0.0,>=1.0.0', True),
        ('0.9', '>=1.0', False),
        ('3.11.1', '~=3.0', True),
        ('4.0', '~=3.0', False),
        ('3.0.5', '~=3.0.2', True),
        ('3.1', '~=3.0.2', False),
        ('0.66b1', '==0.66b1', True),
        ('0.66b0', '==0.66b1', False),
        ('1.0rc1', '>=1.0', False),
        ('1.0.post1', '>1.0', True),
        ('1.0.dev1', '<1.0', True),
        ('5.9.0', '>=5.9.0, <8', True),
        ('8.0.0', '>=5.9.0, <8', False),
        ('4.12.2', '>=4.5.0', True),
        ('1.2.3', '==1.2.*', True),
        ('1.3', '==1.2.*', False),
        ('1.2', '!=1.2.0', False),
        ('not-a-version', '>=1', True),
        ('2.0+local', '>=2.0', True),
    ],
)
def test_satisfies(version, spec, ok):
    assert conflicts.satisfies(version, spec) is ok


def _dist(tmp_path, name):
    (tmp_path / name).mkdir()


def test_installed_reads_dist_dirs_first_wins(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    a.mkdir()
    b.mkdir()
    for d, names in (
        (a, ['wrapt-1.17.3.dist-info', 'Typing_Extensions-4.1.0.dist-info', 'notes.txt']),
        (b, ['wrapt-2.0.0.dist-info', 'protobuf-3.20.0-py3.9.egg-info', 'opentelemetry_api-1.30.0.dist-info']),
    ):
        for n in names:
            (d / n).mkdir()
    found = conflicts.installed([str(a), str(b), str(tmp_path / 'missing'), str(tmp_path / 'x.zip')])
    assert found == {
        'wrapt': '1.17.3',
        'typing-extensions': '4.1.0',
        'protobuf': '3.20.0',
        'opentelemetry-api': '1.30.0',
    }


def test_plain_paths_agree_with_the_patterns():
    # names and versions that take the plain (no regex) paths give what the full patterns give
    import re

    name_re = re.compile(conflicts._NAME_VERSION)
    version_re = re.compile(conflicts._VERSION, re.IGNORECASE)
    names = [
        'wrapt-1.17.3.dist-info',
        'Typing_Extensions-4.1.0.dist-info',
        'zope.interface-7.2.dist-info',
        'protobuf-3.20.0-py3.9.egg-info',
        'foo-1.0.egg-info',
        'foo-bar-1.0.dist-info',
        'x-v1.dist-info',
        '-1.0.dist-info',
        'a-1.0rc1.dist-info',
        'a-1.0+local.dist-info',
    ]
    for n in names:
        m = name_re.match(n)
        assert conflicts._name_version(n) == ((m.group('name'), m.group('version')) if m else None), n
    versions = [
        '1',
        '1.0',
        '1.2.3',
        '0.66',
        ' 2.0 ',
        '1.0.0.0',
        '1.45.1',
        '10.0.0',
        '1.0rc1',
        '1.0.post1',
        'v1.0',
        '1!2.0',
        '1.0+local',
        '',
        '1..2',
        'not-a-version',
        '\u00b2',
    ]
    for v in versions:
        m = version_re.match(v)
        want = [int(x) for x in m.group('release').split('.')] if m else None
        assert conflicts._release(v) == want, v
        assert (conflicts.parse_version(v) is None) == (m is None), v
    assert conflicts.parse_version('1.2.0') == conflicts.parse_version('1.2') < conflicts.parse_version('1.2.post1')
    assert conflicts.parse_version('1.2rc1') < conflicts.parse_version('1.2') < conflicts.parse_version('1.10')


MANIFEST = {
    'opentelemetry-api': {'version': '1.45.1', 'requires': {'typing-extensions': '>=4.5.0'}},
    'opentelemetry-instrumentation': {
        'version': '0.66b1',
        'requires': {'wrapt': '<3.0.0,>=1.0.0', 'packaging': '>=18.0'},
    },
    'typing-extensions': {'version': '4.16.0', 'requires': {}},
    'wrapt': {'version': '2.5.2', 'requires': {}},
    'packaging': {'version': '26.4', 'requires': {}},
}


def test_find_conflict():
    assert (
        conflicts.find_conflict(
            {'wrapt': '1.17.3', 'packaging': '24.0', 'protobuf': '3.20.0', 'fastapi': '0.115'}, MANIFEST
        )
        is None
    )
    c = conflicts.find_conflict({'typing-extensions': '4.1.0'}, MANIFEST)
    assert conflicts.message(c) == (
        'typing-extensions 4.1.0 in the app, the injected instrumentation needs >=4.5.0 (4.16.0)'
    )
    # our OpenTelemetry is vendored under a private name: the app's opentelemetry-* are never a conflict
    for app in ({'opentelemetry-api': '1.30.0'}, {'opentelemetry-api': '1.46.0'}, {'opentelemetry-api': '1.45.3rc1'}):
        assert conflicts.find_conflict(app, MANIFEST) is None
    assert (
        conflicts.find_conflict({'opentelemetry-sdk': '1.25.0'}, {'opentelemetry-sdk': {'version': '1.45.1'}}) is None
    )
    assert conflicts.find_conflict({'wrapt': '3.1.0'}, MANIFEST)[2] == '<3.0.0,>=1.0.0'


def test_api_problem_names_the_version_and_what_to_change():
    assert conflicts.api_problem({}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.25.0'}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.45.3'}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.60.0'}) is None  # newer minors: the bridge checks names
    assert conflicts.api_problem({'opentelemetry-api': '1.24.0'}) == (
        'opentelemetry-api 1.24.0 in the app is older than 1.25, the oldest the injected SDK bridges to; '
        'upgrade it to >=1.25 or remove it'
    )
    assert conflicts.api_problem({'opentelemetry-api': '2.0.0'}) == (
        'opentelemetry-api 2.0.0 in the app is a major version the injected SDK does not bridge to '
        '(tested 1.25 to 1.45); use opentelemetry-api 1.x'
    )


def test_real_manifest_has_no_protobuf_and_no_requests():
    from conftest import manifest

    dists = manifest()['dists']
    assert 'protobuf' not in dists and 'requests' not in dists and 'grpcio' not in dists
    assert not [d for d in dists if d.startswith('opentelemetry-exporter')]


# ---- platform ---------------------------------------------------------------------------------------
def test_libc_detection(tmp_path, monkeypatch):
    musl = tmp_path / 'musl'
    musl.mkdir()
    (musl / 'ld-musl-x86_64.so.1').write_text('')
    monkeypatch.setattr(os, 'confstr', lambda name: (_ for _ in ()).throw(ValueError(name)))
    assert platform_tags.libc(lib_dirs=[str(musl)]) == 'musl'
    monkeypatch.undo()
    assert platform_tags.libc() == 'glibc'  # this machine (Debian)


@pytest.mark.parametrize(
    'machine,libc,tag',
    [
        ('x86_64', 'glibc', 'manylinux_x86_64'),
        ('AMD64', 'glibc', 'manylinux_x86_64'),
        ('aarch64', 'musl', 'musllinux_aarch64'),
        ('arm64', 'glibc', 'manylinux_aarch64'),
        ('riscv64', 'glibc', None),
        ('x86_64', None, None),
    ],
)
def test_native_tag(machine, libc, tag, monkeypatch):
    monkeypatch.setattr(platform_tags, 'libc', lambda: None)
    assert platform_tags.native_tag(machine=machine, libc_name=libc) == tag


# ---- hooks ------------------------------------------------------------------------------------------
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
    from _otel_injector import instrument

    total = 8 * 2**30
    v2, v1 = tmp_path / 'memory.max', tmp_path / 'memory.limit_in_bytes'
    paths = (str(v2), str(v1))
    assert instrument.memory_limit(paths, total) == total, 'no cgroup files: the machine'
    v2.write_text('max\n')
    v1.write_text('%d\n' % (2**63 - 4096))
    assert instrument.memory_limit(paths, total) == total, 'v2 "max" and a v1 "no limit": the machine'
    v1.write_text('%d\n' % (512 * 2**20))
    assert instrument.memory_limit(paths, total) == 512 * 2**20, 'a v1 limit'
    v2.write_text('%d\n' % (256 * 2**20))
    assert instrument.memory_limit(paths, total) == 256 * 2**20, 'v2 first'


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
