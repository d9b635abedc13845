"""multiprocessing as batch code uses it: the parent handles 3 jobs itself, then a Pool(2) with the start
method argv[1] (fork, forkserver, spawn) handles 8 more; argv[2] says how the pool ends: "with" (the context
manager, which calls terminate(): SIGTERM to the workers once map() returned) or "join" (close() then join():
the workers return and exit). Each job logs inside a span of its own and counts through the OpenTelemetry API
(provided by the injected payload). Prints {"parent": pid, "jobs": [pid of each job]} as JSON. Python 3.9 syntax.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import json
import logging
import multiprocessing
import os
import sys
import time

from _otel_injector_vendor.opentelemetry import metrics, trace

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('models.pool')
JOBS = metrics.get_meter('models.pool').create_counter('jobs.done')


def job(n):
    with trace.get_tracer('models.pool').start_as_current_span('job %d' % n):
        time.sleep(0.05)
        log.warning('job %d done by %d', n, os.getpid())
        JOBS.add(1)
    return os.getpid()


def main(method, ending):
    pids = [job(n) for n in range(3)]
    ctx = multiprocessing.get_context(method)
    if ending == 'with':
        with ctx.Pool(2) as pool:
            pids += pool.map(job, range(3, 11), chunksize=1)
    else:
        pool = ctx.Pool(2)
        pids += pool.map(job, range(3, 11), chunksize=1)
        pool.close()
        pool.join()
    print(json.dumps({'parent': os.getpid(), 'jobs': pids}), flush=True)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
