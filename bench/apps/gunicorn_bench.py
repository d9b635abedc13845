# gunicorn settings of the Python benchmark (bench/lib/python-gunicorn.mjs), loaded with `-c`: two
# lines on stderr per worker, so the bench can time each worker's boot from the master's fork. Each line
# is one write(2) (atomic on a pipe): the master and a worker write to the same stderr at the same time.
import os
import time


def _say(line):
    os.write(2, (line + '\n').encode())


def pre_fork(server, worker):
    # in the master, before os.fork(): the before/after-fork hooks of ours or the SDK's count as boot
    _say('bench-prefork %d %.6f' % (worker.age, time.time()))


def post_fork(server, worker):
    # in the worker, once os.fork() returned (its after-fork hooks ran): the pid of the worker of that age
    _say('bench-fork %d %d %.6f' % (worker.age, worker.pid, time.time()))
