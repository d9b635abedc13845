"""Shared fixtures: the built payload (dist/payload/python), the bare "app" interpreter, a real OTLP/HTTP
receiver on 127.0.0.1 (random port), and a runner for app processes started with our PYTHONPATH."""

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest

PAYLOAD = os.environ.get('OTEL_INJECTOR_TEST_PAYLOAD') or os.path.join(
    os.path.dirname(__file__), '..', '..', '..', '..', '..', 'dist', 'payload', 'python'
)
PAYLOAD = os.path.abspath(PAYLOAD)
APP_PYTHON = os.environ.get('OTEL_INJECTOR_TEST_APP_PYTHON') or sys.executable
# An app with its own opentelemetry-api/sdk 1.39.1 (scripts/test-python-unit.mjs makes it); required by the tests
# that use it (they fail without it, never skip).
OTEL_APP_PYTHON = os.environ.get('OTEL_INJECTOR_TEST_OTEL_APP_PYTHON')
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'payload'))
TAG = 'cp%d%d' % sys.version_info[:2]
# The supported CPython minors, oldest first (the one list: requirements/pythons.json)
with open(os.path.join(SRC, 'requirements', 'pythons.json')) as _f:
    MINORS = [p['minor'] for p in json.load(_f)['pythons']]

# In-process tests import our bootstrap modules from the source and OpenTelemetry from the built zip.
sys.path.insert(0, SRC)
sys.path.append(os.path.join(PAYLOAD, 'lib', TAG + '.zip'))
# ... with OpenTelemetry's entry points answered from the manifest, as the bootstrap does (importlib.metadata
# does not see the zip's dists: they are under dist-info/ in it)
with open(os.path.join(PAYLOAD, 'lib', TAG + '.json')) as _f:
    _manifest = json.load(_f)
from _otel_injector import entry_points as _entry_points  # noqa: E402

_entry_points.install(_manifest.get('entry_points'), _manifest.get('dists'))


class Receiver:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.status = 200
        self.delay_s = 0.0  # how long each request waits for its answer (a slow collector)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                if self.headers.get('Content-Encoding') == 'gzip':
                    body = gzip.decompress(body)
                with outer.lock:
                    outer.requests.append({'path': self.path, 'headers': dict(self.headers), 'body': body})
                time.sleep(outer.delay_s)
                self.send_response(outer.status)
                self.send_header('Content-Type', 'application/x-protobuf')
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.endpoint = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def on(self, path):
        with self.lock:
            return [r for r in self.requests if r['path'] == path]

    def spans(self):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        out = []
        for r in self.on('/v1/traces'):
            req = ExportTraceServiceRequest.FromString(r['body'])
            for rs in req.resource_spans:
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out.append((rs.resource, s))
        return out

    def logs(self):
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

        out = []
        for r in self.on('/v1/logs'):
            req = ExportLogsServiceRequest.FromString(r['body'])
            for rl in req.resource_logs:
                for sl in rl.scope_logs:
                    for lr in sl.log_records:
                        out.append((rl.resource, lr))
        return out

    def metric_names(self):
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

        names = set()
        for r in self.on('/v1/metrics'):
            req = ExportMetricsServiceRequest.FromString(r['body'])
            for rm in req.resource_metrics:
                for sm in rm.scope_metrics:
                    names.update(m.name for m in sm.metrics)
        return names

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def attrs(kvs):
    """protobuf KeyValue list -> {key: python value}"""
    out = {}
    for kv in kvs:
        which = kv.value.WhichOneof('value')
        out[kv.key] = getattr(kv.value, which) if which else None
    return out


def app_env(endpoint=None, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OTEL_') and k not in ('PYTHONPATH', 'PYTHONHOME')}
    env['PYTHONPATH'] = PAYLOAD
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    env['PYTHONUNBUFFERED'] = '1'
    # the flush at exit/signal is bounded (default 1 s); on a loaded test machine an export can take
    # longer, and these tests check what is exported, not the bound (test_unreachable_collector... does)
    env['OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS'] = '15000'
    if endpoint is not None:
        env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint
    env.update({k: v for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        env.pop(k, None)
    return env


def run_app(code, env, python=None, timeout=60, cwd=None):
    return subprocess.run(
        [python or APP_PYTHON, '-c', code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=timeout,
        cwd=cwd,
    )


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def ours(stderr):
    return [line for line in stderr.splitlines() if line.startswith('otel-injector: python: ')]


def manifest():
    with open(os.path.join(PAYLOAD, 'lib', TAG + '.json')) as f:
        return json.load(f)
