"""One OTLP/HTTP POST (for otlp_export): otlp_encode + urllib. One bounded attempt per batch (no retry
loop that could hold a flush or the exit), at most one stderr line per process about export failures."""

import os
import threading

from . import fork, messages, otlp_encode, otlp_inflight, tls_files

# urllib.request, ssl and gzip are imported at the first export (in the exporter's thread), not at
# process start.

USER_AGENT = 'otel-injector-python'
_REQUEST_TYPE = {
    'traces': 'ExportTraceServiceRequest',
    'metrics': 'ExportMetricsServiceRequest',
    'logs': 'ExportLogsServiceRequest',
}


def _imports(https, gzip):
    """The first export's imports (urllib, http.client, ssl, gzip), under fork.guard() so that a fork
    never happens in the middle of one (the child would find that module's import lock held forever)."""
    if _imported.get((https, gzip)):
        return
    with fork.guard():
        import http.client  # noqa: F401
        import socket  # noqa: F401
        import urllib.error  # noqa: F401
        import urllib.request  # noqa: F401

        if https:
            import ssl  # noqa: F401
        if gzip:
            import gzip as _gzip  # noqa: F401
    _imported[(https, gzip)] = True


_imported = {}


class Sender:
    """POSTs one encoded request to the signal's endpoint; True when the collector accepted it."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.signal = cfg['signal']
        self.message = _REQUEST_TYPE[self.signal]
        self.json = cfg['protocol'] == 'http/json'
        self._opener = None
        self._tls_files = tls_files.paths(cfg) if cfg['endpoint'].startswith('https://') else (None, None, None)
        self._tls_seen = None
        self._headers_file = tls_files.HeadersFile(os.environ.get('OTEL_INJECTOR_HEADERS_FILE'))
        self._lock = threading.Lock()
        self.failures = 0

    def _ssl_context(self):
        import ssl

        cfg = self.cfg
        if not cfg['endpoint'].startswith('https://'):
            return None
        ctx = (
            ssl.create_default_context(cafile=cfg['certificate'])
            if cfg['certificate']
            else ssl.create_default_context()
        )
        if cfg['client_certificate']:
            ctx.load_cert_chain(cfg['client_certificate'], cfg['client_key'])
        return ctx

    def _get_opener(self):
        """The opener, built again when a TLS file changed (a rotated Secret volume) since it was built:
        the next export uses the new CA, certificate or key, with no restart. A file that cannot be read
        raises here, so the export fails with the reason and the next one tries again."""
        import urllib.request

        seen = tls_files.signature(self._tls_files) if any(self._tls_files) else None
        if self._opener is None or seen != self._tls_seen:
            self._opener = None
            self._opener = urllib.request.build_opener(*otlp_inflight.handlers(self._ssl_context()))
            self._tls_seen = seen
        return self._opener

    def body(self, tree):
        data = otlp_encode.encode_json(self.message, tree) if self.json else otlp_encode.encode(self.message, tree)
        if self.cfg['compression'] == 'gzip':
            import gzip

            return gzip.compress(data, 6)
        return data

    def send(self, tree, timeout_s=None):
        _imports(self.cfg['endpoint'].startswith('https://'), self.cfg['compression'] == 'gzip')
        import urllib.error
        import urllib.request

        try:
            data = self.body(tree)
            headers = dict(self.cfg['headers'])
            headers.update(self._headers_file.headers())
            headers['Content-Type'] = 'application/json' if self.json else 'application/x-protobuf'
            headers['User-Agent'] = USER_AGENT
            if self.cfg['compression'] == 'gzip':
                headers['Content-Encoding'] = 'gzip'
            request = urllib.request.Request(self.cfg['endpoint'], data=data, headers=headers, method='POST')
            timeout = otlp_inflight.timeout(self.cfg['timeout_s'], timeout_s)
            token = _suppress()
            current = otlp_inflight.begin()
            try:
                with self._get_opener().open(request, timeout=timeout) as response:
                    response.read()
                    ok = 200 <= response.status < 300
            finally:
                otlp_inflight.end(current)
                _unsuppress(token)
            if not ok:
                self._fail('HTTP %d' % response.status)
            return ok
        except urllib.error.HTTPError as e:
            self._fail('HTTP %d' % e.code)
        except Exception as e:
            self._fail('%s: %s' % (type(e).__name__, getattr(e, 'reason', None) or e))
        return False

    def _fail(self, why):
        self.failures += 1
        messages.say(
            'export of %s to %s failed (%s); further export errors are not printed'
            % (self.signal, self.cfg['endpoint'], why),
            once_key='export-failure',
        )


def _suppress():
    """Marks the export as ours so that no instrumentation records it (urllib is not instrumented by
    us, but an app may instrument it)."""
    try:
        from _otel_injector_vendor.opentelemetry import context

        return context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    except Exception:
        return None


def _unsuppress(token):
    if token is not None:
        try:
            from _otel_injector_vendor.opentelemetry import context

            context.detach(token)
        except Exception:
            pass
