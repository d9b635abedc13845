# gunicorn settings of the Python benchmark (bench/lib/python-gunicorn.mjs), loaded with `-c`: two
# lines on stderr per worker, so the bench can time each worker's boot from the master's fork.
import sys
import time


def pre_fork(server, worker):
    # in the master, before os.fork(): the before/after-fork hooks of ours or the SDK's count as boot
    print("bench-prefork %d %.6f" % (worker.age, time.time()), file=sys.stderr, flush=True)


def post_fork(server, worker):
    # in the worker, once os.fork() returned (its after-fork hooks ran): the pid of the worker of that age
    print("bench-fork %d %d %.6f" % (worker.age, worker.pid, time.time()), file=sys.stderr, flush=True)
