"""The same service as asgi.py as a Flask (WSGI) app, for gunicorn's sync and gthread workers and uWSGI:
counts each request in Redis (REDIS_URL), logs inside the request, says which process served it. No
OpenTelemetry import. Python 3.9 syntax."""

import logging
import os
import time

from flask import Flask, jsonify

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('models.web')

REDIS_URL = os.environ.get('REDIS_URL')
state = {}

app = Flask(__name__)


@app.route('/health')
def health():
    return jsonify(pid=os.getpid())


@app.route('/work/<int:n>')
def work(n):
    if REDIS_URL:
        if state.get('pid') != os.getpid():
            import redis

            state['pid'], state['redis'] = os.getpid(), redis.Redis.from_url(REDIS_URL)
        state['redis'].incr('work')
    time.sleep(0.05)
    log.warning('work %d done by %d', n, os.getpid())
    return jsonify(pid=os.getpid(), n=n)


@app.route('/slow/<int:n>')
def slow(n):
    """A request still in flight when the test stops the server: says on stderr when it started."""
    log.warning('slow %d started by %d', n, os.getpid())
    time.sleep(0.5)
    return jsonify(pid=os.getpid(), n=n)
