"""The first user's service shape for the process-model tests: a FastAPI app (what gunicorn's UvicornWorker,
`uvicorn --workers N` and uWSGI-less deployments serve) that counts each request in Redis (REDIS_URL) and logs
inside the request. Every answer says which process served it. No OpenTelemetry import: it is instrumented
only through PYTHONPATH and the OTEL_* variables. Python 3.9 syntax."""

import asyncio
import logging
import os

from fastapi import FastAPI

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('models.web')

REDIS_URL = os.environ.get('REDIS_URL')
state = {}

app = FastAPI(title='models')


@app.get('/health')
async def health():
    return {'pid': os.getpid()}


@app.get('/work/{n}')
async def work(n: int):
    if REDIS_URL:
        # One client per process, made in the process that uses it (after any fork).
        if state.get('pid') != os.getpid():
            import redis.asyncio as aioredis

            state['pid'], state['redis'] = os.getpid(), aioredis.from_url(REDIS_URL)
        await state['redis'].incr('work')
    await asyncio.sleep(0.05)
    log.warning('work %d done by %d', n, os.getpid())
    return {'pid': os.getpid(), 'n': n}
