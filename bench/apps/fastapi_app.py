# The Python benchmark's app (bench/python.mjs): FastAPI on uvicorn, one JSON route, a log line per
# 100 requests (so the logs pipeline has something to do). No OpenTelemetry in its own venv. Its answer
# names the process that served it (gunicorn's workers: bench/lib/python-gunicorn.mjs).
import logging
import os

from fastapi import FastAPI

app = FastAPI()
log = logging.getLogger('bench')
count = 0


@app.get('/')
async def hello():
    global count
    count += 1
    if count % 100 == 0:
        log.warning('served %d', count)
    return {'hello': 'world', 'n': count, 'pid': os.getpid()}
