"""Real app processes (see test_export.py): a collector that refuses, never answers or answers slowly never
holds the exit past the shutdown timeout, and an export in flight answered in time is not cut."""

import signal
import textwrap
import time

from conftest import app_env, ours, wait_for
from process_helpers import _otel_app, _server_app, _start


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
