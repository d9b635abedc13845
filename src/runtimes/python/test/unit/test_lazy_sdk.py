"""Real app processes (see test_export.py): the metrics and logs SDKs, and what the instrumentations import,
loaded at first use, with nothing recorded before lost."""

import textwrap

from conftest import app_env, attrs, ours, run_app


def _metric_points(receiver, name):
    """Every data point of the metric `name` the receiver got, in arrival order."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    points = []
    for r in receiver.on('/v1/metrics'):
        for rm in ExportMetricsServiceRequest.FromString(r['body']).resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == name:
                        kind = m.WhichOneof('data')
                        points.extend(getattr(m, kind).data_points)
    return points


def test_metrics_sdk_loads_at_the_first_export_interval_and_exports_what_was_recorded_before(receiver):
    code = textwrap.dedent("""
        import sys, time
        from _otel_injector_vendor.opentelemetry import metrics
        sdk = lambda: sorted(
            m for m in sys.modules
            if m.startswith(tuple("_otel_injector_vendor.opentelemetry.sdk." + s for s in ("metrics", "_logs"))))
        meter = metrics.get_meter("early", "1.2", attributes={"scope.k": "scope-v"})
        meter.create_counter("early.counter").add(5, {"k": "v"})
        meter.create_histogram("early.histogram").record(2.5)
        meter.create_up_down_counter("early.updown").add(-3)
        print("sdk before the interval:", sdk())
        time.sleep(1.5)  # the first export interval (400 ms) has passed
        from _otel_injector_vendor.opentelemetry.sdk.metrics import MeterProvider
        # the global stays our proxy provider (fork: lazy_metrics.after_fork), the SDK's behind it
        real = metrics.get_meter_provider()._real_meter_provider
        print("global is backed by the sdk's:", isinstance(real, MeterProvider))
        meter.create_counter("early.counter").add(2, {"k": "v"})
    """)
    env = app_env(
        receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL='400',
        OTEL_TRACES_EXPORTER='none',
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS='system-metrics',
    )
    r = run_app(code, env)
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    assert 'sdk before the interval: []' in r.stdout, r.stdout
    assert "global is backed by the sdk's: True" in r.stdout, r.stdout
    counter = _metric_points(receiver, 'early.counter')
    assert counter and counter[0].as_int == 5 and counter[-1].as_int == 7, counter  # the interval's, then the exit's
    assert [p.count for p in _metric_points(receiver, 'early.histogram')][:1] == [1]
    assert _metric_points(receiver, 'early.histogram')[0].sum == 2.5
    assert _metric_points(receiver, 'early.updown')[0].as_int == -3
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    scopes = [
        sm.scope
        for r in receiver.on('/v1/metrics')
        for rm in ExportMetricsServiceRequest.FromString(r['body']).resource_metrics
        for sm in rm.scope_metrics
        if sm.scope.name == 'early'
    ]
    assert scopes and scopes[0].version == '1.2' and attrs(scopes[0].attributes) == {'scope.k': 'scope-v'}, scopes


def test_metrics_recorded_before_the_sdk_reach_the_collector_at_exit(receiver):
    # a short-lived script: the export interval never comes, the exit flush loads the SDK
    code = textwrap.dedent("""
        from _otel_injector_vendor.opentelemetry import metrics
        h = metrics.get_meter("job").create_histogram("job.duration")
        for v in (1.0, 2.0, 4.0):
            h.record(v, {"step": "a"})
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_TRACES_EXPORTER='none'))
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    (point,) = _metric_points(receiver, 'job.duration')
    assert point.count == 3 and point.sum == 7.0


def test_a_full_buffer_loads_the_metrics_sdk_at_once_and_loses_nothing(receiver):
    code = textwrap.dedent("""
        import sys
        from _otel_injector_vendor.opentelemetry import metrics
        c = metrics.get_meter("busy").create_counter("busy.requests")
        for _ in range(10000):
            c.add(1)
        print("sdk loaded:", "_otel_injector_vendor.opentelemetry.sdk.metrics" in sys.modules)
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_TRACES_EXPORTER='none'))
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    assert 'sdk loaded: True' in r.stdout
    assert _metric_points(receiver, 'busy.requests')[-1].as_int == 10000


def test_a_forked_child_loads_the_metrics_sdk_at_its_own_first_interval(receiver):
    # gunicorn-style pre-fork: the timer thread of the parent does not exist in the child
    code = textwrap.dedent("""
        import os, sys, time
        from _otel_injector_vendor.opentelemetry import metrics
        c = metrics.get_meter("f").create_counter("forked.counter")
        pid = os.fork()
        if pid == 0:
            c.add(3, {"who": "child"})
            time.sleep(1.5)
            print("child sdk:", "_otel_injector_vendor.opentelemetry.sdk.metrics" in sys.modules, flush=True)
            os._exit(0)  # no atexit flush: what arrived came from the child's timer
        os.waitpid(pid, 0)
    """)
    env = app_env(
        receiver.endpoint,
        OTEL_METRIC_EXPORT_INTERVAL='400',
        OTEL_TRACES_EXPORTER='none',
        OTEL_LOGS_EXPORTER='none',
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS='system-metrics',
    )
    r = run_app(code, env)
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    assert 'child sdk: True' in r.stdout, r.stdout
    points = _metric_points(receiver, 'forked.counter')
    assert points and points[0].as_int == 3 and points[0].attributes[0].value.string_value == 'child', points


def test_logs_sdk_loads_at_the_first_record(receiver):
    code = textwrap.dedent("""
        import logging, sys
        loaded = lambda: "_otel_injector_vendor.opentelemetry.sdk._logs" in sys.modules
        print("before:", loaded())
        logging.getLogger("app").warning("first record")
        print("after:", loaded())
        from _otel_injector_vendor.opentelemetry import _logs
        from _otel_injector_vendor.opentelemetry.sdk._logs import LoggerProvider
        print("global is the sdk's:", isinstance(_logs.get_logger_provider(), LoggerProvider))
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_TRACES_EXPORTER='none', OTEL_METRICS_EXPORTER='none'))
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    assert r.stdout.split('\n')[:3] == ['before: False', 'after: True', "global is the sdk's: True"], r.stdout
    assert [lr.body.string_value for _, lr in receiver.logs()] == ['first record']


def test_instrumentation_dependencies_import_packaging_requirements_at_first_use(receiver):
    code = textwrap.dedent("""
        import sys
        from _otel_injector import bootstrap, lazy_requirements
        print(lazy_requirements.load(bootstrap.HERE))
        from _otel_injector_vendor.opentelemetry.instrumentation.instrumentor import BaseInstrumentor
        from _otel_injector_vendor.opentelemetry.instrumentation import dependencies as d
        print("packaging.requirements" in sys.modules)
        print(d.get_dependency_conflicts(["not-installed-anywhere >= 1"]) is not None)
        print("packaging.requirements" in sys.modules, d.Requirement.__module__)
        print(d.get_dependency_conflicts(["not a valid requirement ~~"]) is not None)
    """)
    r = run_app(code, app_env(receiver.endpoint))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split('\n')[:5] == ['True', 'False', 'True', 'True packaging.requirements', 'True'], r.stdout


def test_semconv_imports_packaging_version_at_first_use(receiver):
    code = textwrap.dedent("""
        import sys
        from _otel_injector import bootstrap, lazy_requirements
        print(lazy_requirements.load_semconv(bootstrap.HERE))
        from _otel_injector_vendor.opentelemetry.instrumentation import _semconv as s
        import _otel_injector_vendor.opentelemetry.instrumentation.asgi
        print("packaging.version" in sys.modules)
        s._OpenTelemetrySemanticConventionStability._initialize()
        t = s._OpenTelemetryStabilitySignalType
        print(s._get_schema_url_for_signal_types([t.HTTP, t.DATABASE]).startswith("https://opentelemetry.io/schemas/1."))
        print("packaging.version" in sys.modules, s.package_version.__name__)
    """)
    r = run_app(code, app_env(receiver.endpoint))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split('\n')[:4] == ['True', 'False', 'True', 'True packaging.version'], r.stdout


def test_a_metrics_sdk_that_cannot_be_built_costs_one_line_and_never_reaches_the_app(receiver):
    # (an app whose opentelemetry API lacks what the metrics SDK imports: the build raises in the thread that
    # records, which is the app's once the buffer is full)
    code = textwrap.dedent("""
        from _otel_injector_vendor.opentelemetry import metrics, trace
        from _otel_injector import lazy_metrics, providers
        lazy = providers.meter_lazy()
        def broken(for_flush):
            raise ImportError('cannot import name _clean_attribute_value')
        lazy._build = broken
        counter = metrics.get_meter('m').create_counter('c')
        for _ in range(lazy_metrics.MAX_PENDING + 10):
            counter.add(1)
        with trace.get_tracer('t').start_as_current_span('still traced'):
            pass
        print('app ran to its end')
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS='system-metrics'))
    assert r.returncode == 0 and 'app ran to its end' in r.stdout, r.stderr
    assert ours(r.stderr) == [
        'otel-injector: python: metrics not started: ImportError: cannot import name _clean_attribute_value'
    ], r.stderr
    assert [s.name for _, s in receiver.spans()] == ['still traced']
    assert receiver.on('/v1/metrics') == []
