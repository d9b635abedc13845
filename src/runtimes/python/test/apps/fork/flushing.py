"""A thread forks while the main thread is in its own flush (what atexit or a SIGTERM runs; a Pool's handler
thread forks replacement workers at any time); the child gets SIGTERM and must die by it, after a flush of its
own, not live on because it inherited its parent's 'flush under way'. Prints `child=<how it ended>`.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import os
import signal
import threading
import time

from _otel_injector import signals
from _otel_injector_vendor.opentelemetry import trace

with trace.get_tracer('flushing').start_as_current_span('parent-work'):
    pass
result = {}


def forker():
    time.sleep(0.3)  # the main thread is in its flush by now (held by a collector that never answers)
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
        os._exit(7)  # only if the SIGTERM was deferred forever
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            result['child'] = (
                'signal %d' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit %d' % os.WEXITSTATUS(status)
            )
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    result['child'] = 'hung'


thread = threading.Thread(target=forker)
thread.start()
signals._flush()
thread.join()
print('child=%s' % result.get('child'), flush=True)
