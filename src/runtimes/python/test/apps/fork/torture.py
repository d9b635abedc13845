"""Forks while other threads hold every lock the payload and the SDK use, then checks the child runs.

Run with the payload on PYTHONPATH and the receiver holding the first request of each signal (a collector
that never answers), so that a span export and a log export are in flight at the fork. Before the fork:
- the parent records spans, logs and a counter (5);
- the batch span and log processors' exports hang on the receiver (their export locks held);
- a metric collection is blocked in an observable callback (the reader's and the SDK's storage locks held);
- helper threads hold: the lazy metrics buffer lock, the lazy meter provider's materialize lock, the lazy
  logger provider's lock, the post-import hooks' lock, the exporter's in-flight condition, a logging
  handler's lock, and fork.guard() around a lazy import that takes 0.5 s (SLOW_MODULE).
The child records a span, a log record and the counter (2), imports the slow module, prints its pid and
how long after the fork it was ready, and exits the usual way (atexit flush). The parent waits for it
(bounded) and prints what happened. Prints lines `key=value`.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import logging
import os
import sys
import tempfile
import threading
import time

from _otel_injector import fork, hooks, metrics_buffer, otlp_inflight, providers
from _otel_injector_vendor.opentelemetry import metrics, trace

log = logging.getLogger('torture')
log.setLevel(logging.INFO)
handler = logging.StreamHandler(sys.stdout)
log.addHandler(handler)
tracer = trace.get_tracer('torture')
counter = metrics.get_meter('torture').create_counter('torture.work')


def say(key, value):
    sys.stdout.write('%s=%s\n' % (key, value))
    sys.stdout.flush()


def wait(predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


for i in range(3):
    with tracer.start_as_current_span('parent-work'):
        log.info('parent log %d', i)
        counter.add(5 if i == 0 else 0)
say('exports_in_flight', wait(lambda: len(otlp_inflight._in_flight) >= 2, 10))

gate, in_collect = threading.Event(), threading.Event()


def slow_callback(_options):
    in_collect.set()
    gate.wait(10)
    return []


metrics.get_meter('torture').create_observable_gauge('torture.slow', callbacks=[slow_callback])
threading.Thread(target=lambda: providers.meter_lazy().force_flush(30000), daemon=True).start()
say('collect_blocked', in_collect.wait(10))

release = threading.Event()
holding = []


def hold(name, lock):
    def run():
        with lock:
            holding.append(name)
            release.wait(10)

    threading.Thread(target=run, name='hold-' + name, daemon=True).start()


lazy_meter = providers.meter_lazy()
lazy_logger = providers.logger_lazy()
hold('lazy-metrics-buffer', metrics_buffer._lock)
hold('lazy-meter-materialize', lazy_meter._materialize_lock)
hold('lazy-logger', lazy_logger._lock)
hold('import-hooks', hooks._lock)
hold('exporter-in-flight', otlp_inflight._in_flight_changed)
hold('logging-handler', handler.lock)

modules = tempfile.mkdtemp()
with open(os.path.join(modules, 'slow_module.py'), 'w') as f:
    f.write('import time\ntime.sleep(0.5)\nVALUE = 42\n')
sys.path.insert(0, modules)


def slow_import():
    with fork.guard():
        holding.append('lazy-import')
        import slow_module  # noqa: F401


threading.Thread(target=slow_import, name='lazy-import', daemon=True).start()
say('locks_held', wait(lambda: len(holding) == 7, 10))
say('held', ','.join(sorted(holding)))

before = time.monotonic()
pid = os.fork()
if pid == 0:
    forked = time.monotonic()
    gate.set()  # this process's own collections must not block in the callback
    with tracer.start_as_current_span('child-work') as span:
        log.info('child log')
        counter.add(2)
        import slow_module

        ready = time.monotonic() - forked
        say('child_trace_id', '%032x' % span.get_span_context().trace_id)
    say('child_pid', os.getpid())
    say('child_ready_s', '%.3f' % ready)
    say('child_slow_module', slow_module.VALUE)
    sys.exit(0)

say('fork_call_s', '%.3f' % (time.monotonic() - before))
say('parent_pid', os.getpid())
release.set()
gate.set()
deadline = time.monotonic() + 20
status = None
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.02)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    say('child', 'hung')
    sys.exit(3)
say('child_exit', os.WEXITSTATUS(status) if os.WIFEXITED(status) else 'signal %d' % os.WTERMSIG(status))
