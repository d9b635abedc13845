"""The models WSGI app (wsgi.py) in the shape of an image that carries OpenTelemetry's API without setting
up an SDK (the first user's images once their own setup is switched off): /manual/<n> opens a span through
the app's own `opentelemetry` API, inside the request, and says which `opentelemetry` it imported (file and
version) and which trace the app's API sees as current. No SDK is set up here. Python 3.9 syntax."""

import os

from flask import jsonify
from opentelemetry import trace
from opentelemetry.version import __version__ as API_VERSION
from wsgi import app

tracer = trace.get_tracer('bakery.manual')


@app.route('/manual/<int:n>')
def manual(n):
    current = trace.get_current_span().get_span_context()
    with tracer.start_as_current_span('manual %d' % n) as span:
        mine = span.get_span_context()
    return jsonify(
        pid=os.getpid(),
        n=n,
        api_file=trace.__file__,
        api_version=API_VERSION,
        seen_trace='%032x' % current.trace_id,
        manual_span='%016x' % mine.span_id,
    )
