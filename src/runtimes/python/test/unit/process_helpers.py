"""Helpers of the app-process tests (test_signals.py, test_shutdown.py, test_own_opentelemetry.py): a server-like
app that waits for a signal, a way to start one, the app interpreter with its own OpenTelemetry."""

import subprocess
import textwrap

from conftest import APP_PYTHON, OTEL_APP_PYTHON


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


def _otel_app():
    assert OTEL_APP_PYTHON, 'OTEL_INJECTOR_TEST_OTEL_APP_PYTHON: the app venv with its own OpenTelemetry (run via npm)'
    return OTEL_APP_PYTHON
