"""The shop app (main.py) with the answers a dashboard needs to see besides 200s: a chosen error status
(e.g. 503, with an ERROR log record inside the request) and an unhandled exception (500 from the server).
Used by dashboards.test.ts to check the SigNoz dashboard and alert queries against a real export."""

from fastapi.responses import JSONResponse
from main import app, log

__all__ = ['app']


@app.get('/fail/{status}')
async def fail(status: int):
    log.error('order failed with status %s', status)
    return JSONResponse({'status': status}, status_code=status)


@app.get('/crash')
async def crash():
    raise RuntimeError('the kitchen is on fire')
