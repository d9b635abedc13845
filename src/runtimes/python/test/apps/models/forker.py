"""An app that forks by itself after working (os.fork(), no multiprocessing): the parent handles 3 jobs, then
imports concurrent.futures' thread module (as gunicorn, asyncio's executors and many libraries do after start:
the import order that made forked children hang), forks a child that handles 2 jobs and ends with sys.exit(0),
waits for it (the child must start within 10 s or the parent says so and kills it), handles 1 more job and
exits. Each job logs inside a span and counts through the OpenTelemetry API. With argv[1] "app-thread" the app
has a thread of its own running at the fork (CPython 3.12+ then warns, rightly). Prints
{"parent": pid, "child": pid, "child_status": waitpid status, "jobs": [pid of each job]} as JSON. Python 3.9 syntax.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import json
import logging
import os
import signal
import sys
import threading
import time

from _otel_injector_vendor.opentelemetry import metrics, trace

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('models.forker')
JOBS = metrics.get_meter('models.forker').create_counter('jobs.done')


def job(n):
    with trace.get_tracer('models.forker').start_as_current_span('job %d' % n):
        log.warning('job %d done by %d', n, os.getpid())
        JOBS.add(1)
    return os.getpid()


def main():
    pids = [job(n) for n in range(3)]
    import concurrent.futures.thread  # noqa: F401  (imported after our start, as servers do)

    stop = threading.Event()
    if sys.argv[1:] == ['app-thread']:
        threading.Thread(target=stop.wait, name='app-poller', daemon=True).start()
    read, write = os.pipe()
    child = os.fork()
    stop.set()
    if child == 0:
        os.close(read)
        os.write(write, json.dumps([job(n) for n in (3, 4)]).encode())
        os.close(write)
        sys.exit(0)
    os.close(write)
    status, deadline = None, time.time() + 10
    while status is None and time.time() < deadline:
        pid, st = os.waitpid(child, os.WNOHANG)
        if pid == child:
            status = st
        else:
            time.sleep(0.05)
    if status is None:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        print(json.dumps({'error': 'the forked child did not finish within 10 s'}), flush=True)
        sys.exit(3)
    with os.fdopen(read) as f:
        pids += json.loads(f.read() or '[]')
    pids.append(job(5))
    print(json.dumps({'parent': os.getpid(), 'child': child, 'child_status': status, 'jobs': pids}), flush=True)


if __name__ == '__main__':
    main()
