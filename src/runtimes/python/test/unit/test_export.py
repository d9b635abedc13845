"""Real interpreter processes started with PYTHONPATH=<payload> (a bare virtualenv: no OpenTelemetry of
its own), exporting to a real OTLP/HTTP receiver on 127.0.0.1: spans, logs and metrics as the app made them."""

import json
import textwrap

from conftest import app_env, attrs, ours, run_app, wait_for

APP = textwrap.dedent("""
    import logging, sys
    from _otel_injector_vendor.opentelemetry import trace
    log = logging.getLogger("app")
    log.addHandler(logging.StreamHandler(sys.stdout))
    log.setLevel(logging.INFO)
    with trace.get_tracer("t").start_as_current_span("work") as span:
        log.info("inside %s", "work")
        print("trace_id=%032x" % span.get_span_context().trace_id)
    logging.getLogger("quiet").warning("last resort line")
""")


def test_spans_logs_metrics_reach_the_collector(receiver):
    env = app_env(receiver.endpoint, OTEL_SERVICE_NAME='svc-a', OTEL_RESOURCE_ATTRIBUTES='k8s.pod.name=p%2C1,team=x')
    r = run_app(APP, env)
    assert r.returncode == 0, r.stderr
    assert ours(r.stderr) == []
    trace_id = [line.split('=')[1] for line in r.stdout.splitlines() if line.startswith('trace_id=')][0]
    assert wait_for(lambda: receiver.spans() and receiver.logs())
    resource, span = receiver.spans()[0]
    assert span.name == 'work' and span.trace_id.hex() == trace_id
    ra = attrs(resource.attributes)
    assert ra['service.name'] == 'svc-a' and ra['k8s.pod.name'] == 'p,1' and ra['team'] == 'x'
    assert ra['telemetry.sdk.language'] == 'python' and ra['process.runtime.name'] == 'cpython'
    logs = {lr.body.string_value: lr for _, lr in receiver.logs()}
    assert logs['inside work'].trace_id.hex() == trace_id
    assert logs['inside work'].span_id == span.span_id
    assert logs['inside work'].severity_number == 9
    assert 'last resort line' in logs
    req = receiver.on('/v1/traces')[0]
    assert req['headers']['Content-Type'] == 'application/x-protobuf'


def test_the_app_prints_exactly_what_it_prints_without_us(receiver):
    code = textwrap.dedent("""
        import logging, sys
        log = logging.getLogger("app")
        log.addHandler(logging.StreamHandler(sys.stdout))
        log.setLevel(logging.INFO)
        log.info("inside %s", "work")
        logging.getLogger("quiet").warning("last resort line")
        logging.getLogger("quiet").info("below the root level")
    """)
    plain = run_app(code, app_env(None, PYTHONPATH=None))
    with_us = run_app(code, app_env(receiver.endpoint))
    assert plain.returncode == 0 and with_us.returncode == 0
    assert with_us.stdout == plain.stdout == 'inside work\n'
    assert with_us.stderr == plain.stderr == 'last resort line\n'
    assert wait_for(lambda: len(receiver.logs()) == 2)
    assert sorted(lr.body.string_value for _, lr in receiver.logs()) == ['inside work', 'last resort line']


def test_metrics_at_exit_and_json_gzip_headers(receiver):
    code = textwrap.dedent("""
        from _otel_injector_vendor.opentelemetry import metrics
        metrics.get_meter("m").create_counter("jobs").add(5, {"k": "v"})
    """)
    env = app_env(
        receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL='http/json',
        OTEL_EXPORTER_OTLP_COMPRESSION='gzip',
        OTEL_EXPORTER_OTLP_HEADERS='authorization=Bearer%20t0k',
        OTEL_TRACES_EXPORTER='none',
    )
    r = run_app(code, env)
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    reqs = receiver.on('/v1/metrics')
    assert reqs and not receiver.on('/v1/traces')
    req = reqs[-1]
    assert req['headers']['Content-Type'] == 'application/json'
    assert req['headers']['Content-Encoding'] == 'gzip'
    assert {k.lower(): v for k, v in req['headers'].items()}['authorization'] == 'Bearer t0k'
    doc = json.loads(req['body'])
    metric = [m for sm in doc['resourceMetrics'][0]['scopeMetrics'] for m in sm['metrics'] if m['name'] == 'jobs'][0]
    assert metric['sum']['dataPoints'][0]['asInt'] == '5'


def test_process_and_system_metrics_from_the_first_collection(receiver):
    r = run_app(
        'import time; time.sleep(2.5)',
        app_env(
            receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL='400', OTEL_TRACES_EXPORTER='none', OTEL_LOGS_EXPORTER='none'
        ),
    )
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    names = receiver.metric_names()
    for want in (
        'process.cpu.utilization',
        'process.memory.usage',
        'process.thread.count',
        'process.open_file_descriptor.count',
        'system.cpu.utilization',
        'system.memory.usage',
        'system.memory.utilization',
        'system.disk.io',
        'system.network.io',
        'process.memory.utilization',
    ):
        assert want in names, (want, sorted(names))
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    values = [
        p.as_double
        for r in receiver.on('/v1/metrics')
        for rm in ExportMetricsServiceRequest.FromString(r['body']).resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == 'process.memory.utilization'
        for p in m.gauge.data_points
    ]
    assert values and all(0 < v < 1 for v in values), values
