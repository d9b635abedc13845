"""A user's own gunicorn hooks (gunicorn -c gunicorn.conf.py): they must still run in every worker, injected
or not."""

import os


def post_fork(server, worker):
    server.log.info('user post_fork hook: worker %s', worker.pid)


def post_worker_init(worker):
    worker.log.info('user post_worker_init hook: pid %s', os.getpid())
