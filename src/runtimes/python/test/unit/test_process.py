"""Real interpreter processes started with PYTHONPATH=<payload> (a bare virtualenv: no OpenTelemetry of
its own), exporting to a real OTLP/HTTP receiver on 127.0.0.1."""

import json
import os
import signal
import subprocess
import textwrap
import time

import pytest
from conftest import APP_PYTHON, OTEL_APP_PYTHON, PAYLOAD, app_env, attrs, ours, run_app, wait_for

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


def test_threads_of_a_forked_child_leave_sigterm_to_its_main_thread(receiver):
    """A process-directed SIGTERM goes to any thread that does not block it, and Python runs its handler only
    in the main thread: a pool worker blocked in a semaphore whose SIGTERM went to a thread of ours never
    ended (the SDK's batch processors restart their thread from an after-fork hook, in the main thread's
    mask). Every thread but the main one, in the parent and in a forked child, blocks SIGTERM and SIGINT."""
    code = textwrap.dedent("""
        import json, logging, os, sys, time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("s"):
            logging.getLogger("app").warning("a record: the logs SDK and its thread exist")
        time.sleep(0.2)

        def open_threads():
            out = []
            for tid in os.listdir("/proc/self/task"):
                if int(tid) == os.getpid():
                    continue
                with open("/proc/self/task/%s/status" % tid) as f:
                    blocked = int([l.split()[1] for l in f if l.startswith("SigBlk")][0], 16)
                if not blocked & (1 << 14) or not blocked & (1 << 1):
                    out.append(tid)
            return out

        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            with trace.get_tracer("t").start_as_current_span("child"):
                logging.getLogger("app").warning("in the child")
            time.sleep(0.2)
            os.write(write, json.dumps([len(os.listdir("/proc/self/task")), open_threads()]).encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        child = json.loads(os.read(read, 4096))
        print(json.dumps({"parent": [len(os.listdir("/proc/self/task")), open_threads()], "child": child}))
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='30000', OTEL_BLRP_SCHEDULE_DELAY='30000'))
    assert r.returncode == 0 and ours(r.stderr) == [], r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out['parent'][0] >= 3 and out['child'][0] >= 3, out  # the span and log batch threads run in both
    assert out['parent'][1] == [] and out['child'][1] == [], out


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


def _server_app(extra=''):
    return (
        textwrap.dedent("""
        import sys, time
        from _otel_injector_vendor.opentelemetry import trace
        %s
        with trace.get_tracer("t").start_as_current_span("before-sigterm"):
            pass
        print("ready", flush=True)
        time.sleep(60)
    """)
        % extra
    )


def _start(code, env, python=None):
    return subprocess.Popen(
        [python or APP_PYTHON, '-c', code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )


def test_sigterm_flushes_then_dies_by_sigterm(receiver):
    # a long batch delay: without the flush on SIGTERM nothing would be exported
    env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    p = _start(_server_app(), env)
    try:
        assert p.stdout.readline().strip() == 'ready'
        assert receiver.spans() == []
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.returncode == -signal.SIGTERM
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


def test_sigterm_that_misses_the_main_thread_still_ends_the_process(receiver):
    """The lost wake-up of a pool worker, made certain: the main thread waits in a multiprocessing semaphore
    (sem_wait, not woken by a signal another thread takes) and SIGTERM is taken by a thread of the app.
    Uninjected, SIGTERM's default kills the process in the kernel; with our handler standing in for it,
    only sigwatch's re-delivery to the main thread lets the handler run: flush, then death by SIGTERM."""
    code = textwrap.dedent("""
        import multiprocessing, signal, threading
        try:
            from _otel_injector_vendor.opentelemetry import trace
            with trace.get_tracer("t").start_as_current_span("before-sigterm"):
                pass
        except ImportError:  # uninjected
            pass
        lock = multiprocessing.Lock()
        lock.acquire()
        threading.Timer(0.3, lambda: signal.pthread_kill(threading.get_ident(), signal.SIGTERM)).start()
        print("ready", flush=True)
        lock.acquire()  # never released: only a signal ends this
    """)
    env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    plain = _start(code, app_env(None, PYTHONPATH=None))
    p = _start(code, env)
    try:
        plain.wait(timeout=20)
        assert plain.returncode == -signal.SIGTERM  # what the app does without us
        assert p.stdout.readline().strip() == 'ready'
        p.wait(timeout=20)
    finally:
        plain.kill()
        p.kill()
    assert p.returncode == -signal.SIGTERM, p.stderr.read()
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


@pytest.mark.parametrize('method', ['fork', 'forkserver'])
def test_sigterm_that_misses_a_multiprocessing_childs_main_thread_still_ends_it(receiver, method):
    """The same lost wake-up in a child of multiprocessing: a thread of the child takes the SIGTERM while its
    main thread waits. multiprocessing's forkserver sets the wakeup fd to none in every child it forks (after
    Python's fork hooks), so the backstop is put back from multiprocessing's own after-fork callbacks.
    Uninjected, the child dies by SIGTERM at once."""
    code = textwrap.dedent("""
        import multiprocessing, sys
        LOSE = ("import threading; threading.Timer(0.3, lambda: __import__('signal').pthread_kill("
                "__import__('threading').get_ident(), __import__('signal').SIGTERM)).start(); "
                "threading.Event().wait()")
        if __name__ == "__main__":
            p = multiprocessing.get_context(sys.argv[1]).Process(target=exec, args=(LOSE,))
            p.start()
            p.join(10)
            print("exitcode %s" % p.exitcode, flush=True)
            if p.exitcode is None:
                p.kill()
                p.join()
    """)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'lost.py')
        with open(path, 'w') as f:
            f.write(code)
        plain = subprocess.run(
            [APP_PYTHON, path, method], env=app_env(None, PYTHONPATH=None), capture_output=True, text=True, timeout=60
        )
        env = app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
        r = subprocess.run([APP_PYTHON, path, method], env=env, capture_output=True, text=True, timeout=60)
    assert plain.stdout.strip() == 'exitcode -15', plain.stderr  # what the app does without us
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == 'exitcode -15', r.stderr


def test_sigterm_handled_by_the_app_then_reraised_like_uvicorn(receiver):
    # uvicorn: saves the handler it found, handles SIGTERM, restores it, re-raises
    extra = textwrap.dedent("""
        import signal
        saved = signal.getsignal(signal.SIGTERM)
        def graceful(signum, frame):
            print("graceful stop", flush=True)
            signal.signal(signal.SIGTERM, saved)
            signal.raise_signal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, graceful)
    """)
    p = _start(
        _server_app(extra), app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none')
    )
    try:
        assert p.stdout.readline().strip() == 'ready'
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.returncode == -signal.SIGTERM
    assert p.stdout.read().strip() == 'graceful stop'
    assert [s.name for _, s in receiver.spans()] == ['before-sigterm']


def test_unreachable_collector_exits_promptly_with_one_line():
    import socket

    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connection refused
    p = _start(_server_app(), app_env('http://127.0.0.1:%d' % port, OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS='1000'))
    try:
        assert p.stdout.readline().strip() == 'ready'
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        took = time.monotonic() - t0
    finally:
        p.kill()
    assert p.returncode == -signal.SIGTERM
    assert took < 10
    lines = ours(p.stderr.read())
    assert len(lines) == 1 and 'export of traces' in lines[0] and 'failed' in lines[0]


class BlackHole:
    """Accepts connections on 127.0.0.1 and never answers (a collector that hangs)."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.endpoint = 'http://127.0.0.1:%d' % self.sock.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for c in self.accepted:
            c.close()
        self.sock.close()


def _hanging_env(hole):
    # each export waits 30 s for an answer; the first one starts 100 ms after the first span
    return app_env(
        hole.endpoint,
        OTEL_EXPORTER_OTLP_TIMEOUT='30000',
        OTEL_BSP_SCHEDULE_DELAY='100',
        OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS='1000',
        OTEL_METRICS_EXPORTER='none',
        OTEL_LOGS_EXPORTER='none',
    )


def test_collector_that_never_answers_sigterm_is_bounded_by_the_shutdown_timeout():
    hole = BlackHole()
    p = _start(
        _server_app(
            textwrap.dedent("""
        with trace.get_tracer("t").start_as_current_span("stuck-export"):
            pass
        time.sleep(1.0)  # the batch processor's export of "stuck-export" now hangs on the black hole
    """)
        ),
        _hanging_env(hole),
    )
    try:
        assert p.stdout.readline().strip() == 'ready'
        assert wait_for(lambda: hole.accepted, 10), 'the app tried to export'
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=40)
        took = time.monotonic() - t0
    finally:
        p.kill()
        hole.close()
    assert p.returncode == -signal.SIGTERM
    assert took < 8, 'SIGTERM took %.1f s with a 1 s shutdown timeout (an export hangs for 30 s)' % took
    assert 'Traceback' not in p.stderr.read()


def test_collector_that_never_answers_exit_is_bounded_by_the_shutdown_timeout():
    hole = BlackHole()
    code = textwrap.dedent("""
        import time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("stuck-export"):
            pass
        time.sleep(1.5)  # its export now hangs on the black hole
        with trace.get_tracer("t").start_as_current_span("left-for-the-exit-flush"):
            pass
        print("exiting", flush=True)
    """)
    p = _start(code, _hanging_env(hole))
    try:
        assert p.stdout.readline().strip() == 'exiting'
        t0 = time.monotonic()
        p.wait(timeout=40)
        took = time.monotonic() - t0
        assert hole.accepted, 'the app tried to export'
    finally:
        p.kill()
        hole.close()
    assert p.returncode == 0
    assert took < 8, 'the exit took %.1f s with a 1 s shutdown timeout (an export hangs for 30 s)' % took
    assert 'Traceback' not in p.stderr.read()


def test_collector_that_answers_slowly_exit_waits_for_the_export_in_flight(receiver):
    # the other side of the bound above (CPython 3.12 flushes inline at exit and cuts exports still in
    # flight at the deadline): an export in flight that is answered before the deadline is not cut
    receiver.delay_s = 1.5
    code = textwrap.dedent("""
        import time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("in-flight-at-exit"):
            pass
        time.sleep(0.5)  # its export now waits 1.5 s for the answer
        with trace.get_tracer("t").start_as_current_span("left-for-the-exit-flush"):
            pass
        print("exiting", flush=True)
    """)
    env = app_env(
        receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY='100',
        OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS='8000',
        OTEL_METRICS_EXPORTER='none',
        OTEL_LOGS_EXPORTER='none',
    )
    p = _start(code, env)
    try:
        assert p.stdout.readline().strip() == 'exiting'
        p.wait(timeout=40)
    finally:
        p.kill()
    assert p.returncode == 0
    stderr = p.stderr.read()
    assert ours(stderr) == [], stderr
    assert sorted(s.name for _, s in receiver.spans()) == ['in-flight-at-exit', 'left-for-the-exit-flush']


def test_collector_that_never_answers_exit_after_a_step_aside_is_bounded_by_the_shutdown_timeout():
    hole = BlackHole()
    code = textwrap.dedent("""
        import time
        from opentelemetry import trace  # the app's own API and SDK (1.39.1)
        from opentelemetry.sdk.trace import TracerProvider
        with trace.get_tracer("t").start_as_current_span("stuck-export"):
            pass
        time.sleep(1.5)  # its export now hangs on the black hole
        with trace.get_tracer("t").start_as_current_span("left-for-the-step-aside-flush"):
            pass
        trace.set_tracer_provider(TracerProvider())  # the app's own: we step aside, our flush hangs
        print("exiting", flush=True)
    """)
    env = _hanging_env(hole)
    env['OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS'] = '500'
    p = _start(code, env, python=_otel_app())
    try:
        assert p.stdout.readline().strip() == 'exiting'
        t0 = time.monotonic()
        p.wait(timeout=40)
        took = time.monotonic() - t0
        assert hole.accepted, 'the app tried to export'
    finally:
        p.kill()
        hole.close()
    assert p.returncode == 0
    # (before: the exit waited a fixed 4 s for the step-aside flush, whatever the shutdown timeout)
    assert took < 3.5, 'the exit took %.1f s with a 0.5 s shutdown timeout (an export hangs for 30 s)' % took
    stderr = p.stderr.read()
    assert 'Traceback' not in stderr
    assert len([line for line in ours(stderr) if 'not instrumented' in line or 'own OpenTelemetry' in line]) == 1, (
        stderr
    )


def _otel_app():
    assert OTEL_APP_PYTHON, 'OTEL_INJECTOR_TEST_OTEL_APP_PYTHON: the app venv with its own OpenTelemetry (run via npm)'
    return OTEL_APP_PYTHON


def test_app_with_its_own_sdk_exports_itself(receiver):
    code = textwrap.dedent("""
        import opentelemetry.sdk.trace as app_sdk_trace
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        print("the app's SDK is its own:", "site-packages/opentelemetry/sdk" in app_sdk_trace.__file__)
        print("global is the app's SDK TracerProvider:", isinstance(trace.get_tracer_provider(), TracerProvider))
        tracer = trace.get_tracer("early")
        with tracer.start_as_current_span("ours-before"):
            pass
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        mem = InMemorySpanExporter()
        tp = TracerProvider()
        tp.add_span_processor(SimpleSpanProcessor(mem))
        trace.set_tracer_provider(tp)
        assert trace.get_tracer_provider() is tp
        with tracer.start_as_current_span("outer-through-old-tracer"):
            with trace.get_tracer("app").start_as_current_span("app-span") as s:
                parent = s.parent
        print("app exported:", sorted(x.name for x in mem.get_finished_spans()))
        print("parent:", parent is None)
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        mp = MeterProvider()
        metrics.set_meter_provider(mp)
        print("meter provider is the app's:", metrics.get_meter_provider() is mp)
    """)
    r = run_app(code, app_env(receiver.endpoint), python=_otel_app())
    assert r.returncode == 0, r.stderr
    assert "the app's SDK is its own: True" in r.stdout
    # ours is the vendored SDK: no instance of the app's class (an app that checks this sets up its own anyway)
    assert "global is the app's SDK TracerProvider: False" in r.stdout
    assert "app exported: ['app-span']" in r.stdout
    assert 'parent: True' in r.stdout  # our stepped-aside tracer records nothing and is no one's parent
    assert "meter provider is the app's: True" in r.stdout
    lines = ours(r.stderr)
    assert lines == [
        'otel-injector: python: not instrumented: the app sets its own OpenTelemetry TracerProvider '
        "(opentelemetry-sdk 1.39.1 in the app); the app's SDK exports from now on"
    ]
    assert 'Overriding' not in r.stderr
    assert [s.name for _, s in receiver.spans()] == ['ours-before']


def test_an_app_carrying_opentelemetry_it_does_not_set_up_is_instrumented_through_its_own_api(receiver):
    # The app's own API 1.39.1 (and SDK, unused) stay what it imports; its manual spans and instruments go
    # through our vendored SDK; an incoming traceparent extracted by the app's own propagator is the parent.
    code = textwrap.dedent("""
        import json, logging, sys
        import opentelemetry.trace as trace
        from opentelemetry import context, metrics, propagate
        from importlib import metadata
        counter = metrics.get_meter("app.meter").create_counter("app.requests")  # before anything is set
        parent_ctx = propagate.extract({"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
        token = context.attach(parent_ctx)
        with trace.get_tracer("app.manual").start_as_current_span("outer") as outer:
            print("current is outer:", trace.get_current_span() is outer)
            outer.set_status(trace.Status(trace.StatusCode.ERROR, "boom"))  # the app's own types
            with trace.get_tracer("app.manual").start_as_current_span("inner"):
                logging.getLogger("app").warning("inside inner")
                trace.get_current_span().set_status(trace.StatusCode.ERROR)
        context.detach(token)
        counter.add(3)
        print(json.dumps({
            "trace_file": trace.__file__,
            "api": metadata.version("opentelemetry-api"),
            "sdk_file": getattr(sys.modules.get("opentelemetry.sdk.trace"), "__file__", None),
        }))
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL='60000'), python=_otel_app())
    assert r.returncode == 0, r.stderr
    assert ours(r.stderr) == [], r.stderr
    assert 'current is outer: True' in r.stdout
    info = json.loads(r.stdout.strip().splitlines()[-1])
    assert info['api'] == '1.39.1'
    assert '/site-packages/opentelemetry/trace/__init__.py' in info['trace_file'], info
    assert PAYLOAD not in info['trace_file']
    assert info['sdk_file'] is None  # the app's SDK was never imported (ours is another package)
    assert wait_for(
        lambda: len(receiver.spans()) == 2 and receiver.logs() and 'app.requests' in receiver.metric_names()
    )
    spans = {s.name: s for _, s in receiver.spans()}
    assert spans['outer'].trace_id.hex() == '0af7651916cd43dd8448eb211c80319c'
    assert spans['outer'].parent_span_id.hex() == 'b7ad6b7169203331'
    assert spans['inner'].parent_span_id == spans['outer'].span_id
    assert spans['inner'].trace_id == spans['outer'].trace_id
    # the app's Status / StatusCode (its API's types) set on our spans
    assert (spans['outer'].status.code, spans['outer'].status.message) == (2, 'boom')
    assert spans['inner'].status.code == 2
    logs = [lr for _, lr in receiver.logs() if lr.body.string_value == 'inside inner']
    assert len(logs) == 1 and logs[0].span_id == spans['inner'].span_id


def test_an_app_with_its_own_api_that_forks_exports_from_parent_and_child(receiver):
    # the bridge has no state of its own to reset in a child: the app's spans in a forked child go through
    # our SDK's after-fork path like ours (the child flushes at its exit, with its own pid)
    code = textwrap.dedent("""
        import os
        from opentelemetry import trace
        tracer = trace.get_tracer("app.fork")
        with tracer.start_as_current_span("parent-before-fork"):
            pass
        pid = os.fork()
        if pid == 0:
            with tracer.start_as_current_span("in-child") as span:
                with tracer.start_as_current_span("child-inner"):
                    pass
            raise SystemExit(0)  # a normal exit: the child's atexit flush runs
        os.waitpid(pid, 0)
        print("child", pid, flush=True)
    """)
    r = run_app(code, app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none'), python=_otel_app())
    assert r.returncode == 0, r.stderr
    assert ours(r.stderr) == [], r.stderr
    child = int(r.stdout.split()[-1])
    assert wait_for(lambda: len(receiver.spans()) == 3)
    by = {s.name: (res, s) for res, s in receiver.spans()}
    assert attrs(by['in-child'][0].attributes)['process.pid'] == child
    assert attrs(by['parent-before-fork'][0].attributes)['process.pid'] != child
    assert by['child-inner'][1].parent_span_id == by['in-child'][1].span_id


def test_an_api_older_than_the_bridge_supports_steps_aside_with_its_version(receiver, tmp_path):
    site = tmp_path / 'site'
    (site / 'opentelemetry_api-1.20.0.dist-info').mkdir(parents=True)
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app('import sys; print(any(p.startswith(%r + "/") for p in sys.path)); print("served")' % PAYLOAD, env)
    assert r.returncode == 0 and r.stdout.split() == ['False', 'served']
    assert ours(r.stderr) == [
        'otel-injector: python: not instrumented: opentelemetry-api 1.20.0 in the app is older than 1.25, the oldest '
        'the injected SDK bridges to; upgrade it to >=1.25 or remove it'
    ]


def test_sdk_disabled_does_nothing(receiver):
    code = (
        'import sys; print([p for p in sys.path if p.startswith(%r + "/")]); '
        'print("_otel_injector_vendor" in sys.modules)' % PAYLOAD
    )
    r = run_app(code, app_env(receiver.endpoint, OTEL_SDK_DISABLED='true'))
    assert r.returncode == 0 and r.stderr == ''
    assert r.stdout.split('\n')[:2] == ['[]', 'False']


def test_grpc_protocol_steps_aside_with_one_line(receiver):
    r = run_app(
        'import sys; print(any(p.startswith(%r + "/") for p in sys.path))' % PAYLOAD,
        app_env(receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL='grpc'),
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False'
    assert ours(r.stderr) == [
        "otel-injector: python: not instrumented: OTLP protocol 'grpc' for traces is not "
        'supported (http/protobuf or http/json)'
    ]


def test_conflicting_package_in_the_app_steps_aside(receiver, tmp_path):
    site = tmp_path / 'site'
    (site / 'wrapt').mkdir(parents=True)
    (site / 'wrapt' / '__init__.py').write_text('')
    (site / 'wrapt-3.9.0.dist-info').mkdir()
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app('import sys; print(any(p.startswith(%r + "/") for p in sys.path)); print("served")' % PAYLOAD, env)
    assert r.returncode == 0 and r.stdout.split() == ['False', 'served']
    lines = ours(r.stderr)
    assert len(lines) == 1
    assert lines[0].startswith(
        'otel-injector: python: not instrumented: wrapt 3.9.0 in the app, the injected '
        'instrumentation needs <3.0.0,>=1.0.0 ('
    )


def test_image_sitecustomize_is_chained(receiver, tmp_path):
    site = tmp_path / 'imagesite'
    site.mkdir()
    (site / 'sitecustomize.py').write_text('import sys\nsys.image_sitecustomize_ran = __name__\n')
    code = 'import sys, sitecustomize; print(getattr(sys, "image_sitecustomize_ran", None), sitecustomize.__file__)'
    for extra in ({}, {'OTEL_SDK_DISABLED': 'true'}, {'OTEL_EXPORTER_OTLP_PROTOCOL': 'grpc'}):
        env = app_env(receiver.endpoint, **extra)
        env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
        r = run_app(code, env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ['sitecustomize', str(site / 'sitecustomize.py')], (extra, r.stdout, r.stderr)


def test_failing_image_sitecustomize_reported_like_site_does(tmp_path):
    site = tmp_path / 'badsite'
    site.mkdir()
    (site / 'sitecustomize.py').write_text('raise RuntimeError("image bug")\n')
    env = app_env(None, OTEL_SDK_DISABLED='true')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app('print("app runs")', env)
    assert r.returncode == 0 and r.stdout.strip() == 'app runs'
    assert 'RuntimeError: image bug' in r.stderr


OLD = [v for v in ('2.7.18', '3.8.18') if os.path.exists(os.path.expanduser('~/.pyenv/versions/%s' % v))]


@pytest.mark.skipif(not OLD, reason='no Python 2.7/3.8 under ~/.pyenv on this machine')
@pytest.mark.parametrize('version', OLD)
def test_older_python_starts_untouched_with_one_line(version):
    python = os.path.expanduser('~/.pyenv/versions/%s/bin/python%s' % (version, version.rsplit('.', 1)[0]))
    r = run_app('print("app runs")', app_env('http://127.0.0.1:9'), python=python)
    assert r.returncode == 0 and r.stdout.strip() == 'app runs'
    assert ours(r.stderr) == [
        'otel-injector: python: not instrumented: Python %s is older than the supported 3.9' % version.rsplit('.', 1)[0]
    ]


def test_lazy_instrumentation_only_for_imported_libraries(receiver, tmp_path):
    # a stand-in "redis" package (too small for the instrumentor to patch anything): the redis
    # instrumentation is imported right after it, never before (the integration suite uses a real redis)
    site = tmp_path / 'libs'
    (site / 'redis').mkdir(parents=True)
    (site / 'redis' / '__init__.py').write_text('VERSION = (5, 0, 0)\n__version__ = "5.0.0"\n')
    code = textwrap.dedent("""
        import sys
        before = sorted(m for m in sys.modules if m.startswith("_otel_injector_vendor.opentelemetry.instrumentation"))
        import redis
        print(before == [], "_otel_injector_vendor.opentelemetry.instrumentation" in sys.modules)
    """)
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['True', 'True']


def test_disabled_instrumentation_is_not_hooked(receiver, tmp_path):
    site = tmp_path / 'libs'
    (site / 'redis').mkdir(parents=True)
    (site / 'redis' / '__init__.py').write_text('VERSION = (5, 0, 0)\n')
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none', OTEL_PYTHON_DISABLED_INSTRUMENTATIONS='redis')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(
        'import sys, redis; '
        'print(any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules))',
        env,
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr


def test_no_entry_point_scan_at_start(receiver):
    r = run_app(
        'import sys; print("importlib.metadata" in sys.modules, "importlib_metadata" in sys.modules)',
        app_env(receiver.endpoint, OTEL_PROPAGATORS='tracecontext,baggage'),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['False', 'False']


def test_an_app_entry_point_scan_does_not_open_our_zip(receiver):
    # pydantic scans entry points in every FastAPI app: the scan must not read our zip's directory
    code = textwrap.dedent("""
        import sys, zipfile
        opened = []
        real_init = zipfile.ZipFile.__init__
        def spy(self, file, *args, **kwargs):
            real_init(self, file, *args, **kwargs)
            opened.append(str(file))  # opened and its directory read
        zipfile.ZipFile.__init__ = spy
        from importlib import metadata
        metadata.entry_points()
        list(metadata.distributions())
        import _otel_injector_vendor.opentelemetry.sdk.trace as sdk_trace
        ours = [p for p in sys.path if p.startswith(sys.argv[1]) and ".zip" in p]
        print(len(ours), sdk_trace.__file__.startswith(ours[0].rstrip("/")), [f for f in opened if "cp3" in f])
    """)
    r = run_app(code.replace('sys.argv[1]', repr(PAYLOAD)), app_env(receiver.endpoint))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['1', 'True', '[]']


def test_library_version_outside_the_instrumentation_is_left_alone_with_one_line(receiver, tmp_path):
    site = tmp_path / 'libs'
    (site / 'sqlalchemy').mkdir(parents=True)
    (site / 'sqlalchemy' / '__init__.py').write_text('')
    (site / 'SQLAlchemy-99.0.0.dist-info').mkdir()
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(
        'import sys, sqlalchemy; '
        'print(any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules))',
        env,
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr
    lines = ours(r.stderr)
    assert len(lines) == 1 and lines[0].startswith(
        'otel-injector: python: sqlalchemy 99.0.0 is outside what the sqlalchemy instrumentation supports ('
    )


def test_sigint_flushes_then_keyboardinterrupt_as_usual(receiver):
    code = textwrap.dedent("""
        import sys, time
        from _otel_injector_vendor.opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("before-sigint"):
            pass
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("KeyboardInterrupt reached the app", flush=True)
            raise
    """)
    p = _start(code, app_env(receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY='60000', OTEL_METRICS_EXPORTER='none'))
    try:
        assert p.stdout.readline().strip() == 'ready'
        p.send_signal(signal.SIGINT)
        p.wait(timeout=20)
    finally:
        p.kill()
    assert p.stdout.read().strip() == 'KeyboardInterrupt reached the app'
    assert 'KeyboardInterrupt' in p.stderr.read()
    assert p.returncode == -signal.SIGINT  # what CPython does for an uncaught KeyboardInterrupt
    assert [s.name for _, s in receiver.spans()] == ['before-sigint']


def test_python_without_a_build_starts_untouched_with_one_line(tmp_path, receiver):
    # what a Python newer than the payload (3.14) sees: no lib/cp3X.zip for it
    import shutil

    from conftest import TAG

    payload = tmp_path / 'python'
    shutil.copytree(
        PAYLOAD, str(payload), symlinks=True, ignore=lambda d, names: [n for n in names if n.startswith(TAG + '.')]
    )
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = str(payload)
    r = run_app(
        'import sys; print("_otel_injector_vendor" in sys.modules, any(p.startswith(%r) for p in sys.path[1:]))'
        % (str(payload) + '/'),
        env,
    )
    assert r.returncode == 0 and r.stdout.split() == ['False', 'False'], r.stderr
    lines = ours(r.stderr)
    assert len(lines) == 1 and lines[0].startswith('otel-injector: python: not instrumented: Python 3.')
    assert lines[0].endswith('is not supported (supported: 3.9 to 3.13)')


def test_django_is_instrumented_after_setup_not_at_import(receiver, tmp_path):
    # settings exist only after django.setup(): DjangoInstrumentor must wait for it (a stand-in django)
    site = tmp_path / 'libs'
    (site / 'django').mkdir(parents=True)
    (site / 'django' / '__init__.py').write_text(
        'VERSION = (4, 2, 0)\ncalls = []\ndef setup(set_prefix=True):\n    calls.append(set_prefix)\n'
    )
    (site / 'Django-4.2.0.dist-info').mkdir()
    code = textwrap.dedent("""
        import sys, django
        at_import = any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules)
        django.setup(set_prefix=False)
        print(at_import, django.calls, "_otel_injector_vendor.opentelemetry.instrumentation" in sys.modules)
    """)
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['False', '[False]', 'True']


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


def test_a_metrics_sdk_that_cannot_be_built_costs_one_line_and_never_reaches_the_app(receiver):
    # (an app whose opentelemetry API lacks what the metrics SDK imports: the build raises in the thread that
    # records, which is the app's once the buffer is full)
    code = textwrap.dedent("""
        from _otel_injector_vendor.opentelemetry import metrics, trace
        from _otel_injector import lazy_metrics, providers
        lazy = providers.state['meter_lazy']
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
