"""The node suite's Python app: FastAPI on uvicorn, no OpenTelemetry of its own, PID 1 in its container
(uvicorn handles SIGTERM itself). GET /work answers with the pid that served it; with DOWNSTREAM_URL set
it first calls DOWNSTREAM_URL/work over httpx (a trace across services: Node -> Python -> Node in
node.test.ts); with ?hold=S it first blocks its event loop for S seconds (at most 1), so that under
gunicorn (prefork.ts: `gunicorn -k uvicorn_worker.UvicornWorker main:app`) the next connection is
accepted by another worker."""

import os
import socket
import time

import httpx
import uvicorn
from fastapi import FastAPI

DOWNSTREAM_URL = os.environ.get('DOWNSTREAM_URL', '')
app = FastAPI()


@app.get('/healthz')
async def healthz():
    return 'ok'


@app.get('/work')
async def work(hold: float = 0):
    time.sleep(min(max(hold, 0), 1))
    answer = {'by': socket.gethostname(), 'runtime': 'python', 'pid': os.getpid()}
    if DOWNSTREAM_URL:
        async with httpx.AsyncClient(timeout=10) as client:
            res = await client.get(DOWNSTREAM_URL + '/work')
        answer['downstream'] = '%d: %s' % (res.status_code, res.text)
    return answer


if __name__ == '__main__':
    uvicorn.run(app, host='0.0.0.0', port=int(os.environ.get('PORT', '8080')), log_level='warning')
