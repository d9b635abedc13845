"""An app that carries OpenTelemetry Python it does not set up (the first user's services with ENABLE_TRACING
off): its venv has opentelemetry-api (and maybe the SDK and instrumentations) at some release, and its code
uses the API directly: a manual span around a call to the next service over httpx, a counter, a log line.
With APP_INSTRUMENTS=true it also applies its own installed FastAPI and httpx instrumentors (no SDK, no
provider: what an app does that instruments unconditionally and configures exporters only when enabled).
/where reports which files and versions of OpenTelemetry the app itself imports. Python 3.9 syntax."""

import importlib
import logging
import os
from importlib import metadata

import httpx
from fastapi import FastAPI, Request
from opentelemetry import metrics, trace

logging.basicConfig(level=logging.INFO, format='%(levelname)s %(name)s %(message)s')
log = logging.getLogger('carrier')
tracer = trace.get_tracer('carrier.manual')
orders = metrics.get_meter('carrier.meter').create_counter('carrier.orders')  # made before anything is set

app = FastAPI(title='carrier')

if os.environ.get('APP_INSTRUMENTS') == 'true':
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    FastAPIInstrumentor.instrument_app(app)
    HTTPXClientInstrumentor().instrument()


@app.get('/health')
async def health():
    return {'ok': True}


@app.get('/hello')
async def hello(request: Request):
    with tracer.start_as_current_span('manual-work') as span:
        span.set_attribute('carrier.step', 'lookup')
        current = trace.get_current_span() is span
        async with httpx.AsyncClient(timeout=10) as client:
            inner = (await client.get('%s/inner' % str(request.base_url).rstrip('/'))).json()
        log.warning('hello served')
        orders.add(1, {'carrier.kind': 'hello'})
    return {'inner': inner, 'current_is_manual': current}


@app.get('/inner')
async def inner():
    return {'ok': True}


def _file(name):
    try:
        return getattr(importlib.import_module(name), '__file__', None)
    except ImportError:
        return None


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@app.get('/where')
async def where():
    names = ('opentelemetry.trace', 'opentelemetry.context', 'opentelemetry.metrics', 'opentelemetry.sdk.trace')
    dists = ('opentelemetry-api', 'opentelemetry-sdk', 'opentelemetry-instrumentation-fastapi')
    return {
        'files': {n: _file(n) for n in names},
        'versions': {d: _version(d) for d in dists},
        'env': os.environ.get('PYTHONPATH', ''),
    }
