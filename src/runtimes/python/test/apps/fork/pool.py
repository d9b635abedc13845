"""A multiprocessing Pool of 2 with the start method argv[1]: 6 tasks, each records a span; the pool is
left with `with` (terminate(): SIGTERM to workers that may be flushing at their exit already).
Prints `workers=<pid>,<pid>` and `main=<pid>`.

Spans and instruments are made through the injected payload's own (vendored) OpenTelemetry API,
`_otel_injector_vendor.opentelemetry`: the app has no OpenTelemetry of its own, and the SDK under test is
the same one an app's own API is bridged to (versions.test.ts)."""

import multiprocessing
import os
import sys

from _otel_injector_vendor.opentelemetry import trace


def work(i):
    with trace.get_tracer('pool').start_as_current_span('task-%d' % i):
        pass
    return os.getpid()


if __name__ == '__main__':
    with multiprocessing.get_context(sys.argv[1]).Pool(2) as pool:
        pids = pool.map(work, range(6))
    print('workers=%s' % ','.join(str(p) for p in sorted(set(pids))))
    print('main=%d' % os.getpid())
