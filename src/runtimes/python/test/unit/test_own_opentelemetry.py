"""Real app processes that carry OpenTelemetry of their own (the app venv with opentelemetry-api/sdk 1.39.1):
an app that sets up its own SDK exports itself, one that only uses the API is instrumented through it."""

import json
import os
import textwrap

from conftest import PAYLOAD, app_env, attrs, ours, run_app, wait_for
from process_helpers import _otel_app


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
