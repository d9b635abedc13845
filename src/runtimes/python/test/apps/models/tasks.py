"""A Celery app the way a service runs its background jobs: a real broker and result backend (BROKER_URL), a
task that logs, counts and says which process ran it. The counter goes through the OpenTelemetry API when one
is importable (the injected payload provides it; uninjected the app runs without). Python 3.9 syntax.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import logging
import os
import time

from celery import Celery

try:
    from _otel_injector_vendor.opentelemetry import metrics
except ImportError:
    metrics = None

log = logging.getLogger('models.tasks')
app = Celery('tasks', broker=os.environ['BROKER_URL'], backend=os.environ['BROKER_URL'])
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=True, task_acks_late=False)
DONE = metrics.get_meter('models.tasks').create_counter('tasks.done') if metrics is not None else None


@app.task(name='tasks.work')
def work(n):
    time.sleep(0.05)
    log.warning('task %d done by %d', n, os.getpid())
    if DONE is not None:
        DONE.add(1)
    return os.getpid()
