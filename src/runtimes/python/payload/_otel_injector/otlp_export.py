"""Our OTLP/HTTP exporters (traces, metrics, logs): otlp_encode + urllib. One bounded attempt per
batch (no retry loop that could hold a flush or the exit), at most one stderr line per process about
export failures. No `protobuf`, no `requests`."""

import os
import threading
import time

from . import fork, messages, otlp_encode, tls_files

# urllib.request, ssl and gzip are imported at the first export (in the exporter's thread), not at
# process start.

USER_AGENT = 'otel-injector-python'
_REQUEST_TYPE = {
    'traces': 'ExportTraceServiceRequest',
    'metrics': 'ExportMetricsServiceRequest',
    'logs': 'ExportLogsServiceRequest',
}


_shutdown = {'deadline': None}
# The requests being sent right now (a _Request each, with the sockets it opened), so that the exit
# flush can wait for them and cut those still waiting for an answer once the deadline has passed.
_in_flight = set()
_in_flight_changed = threading.Condition()
_local = threading.local()


def after_fork():
    """In a forked child: the parent's requests in flight are not ours to wait for (their threads did
    not survive the fork), no shutdown is under way, and the condition's lock is a new one."""
    global _in_flight_changed
    _in_flight.clear()
    _in_flight_changed = threading.Condition()
    _shutdown['deadline'] = None


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


def shutdown_deadline(deadline):
    """From now on no export waits past `deadline` (time.monotonic()): the process is stopping."""
    _shutdown['deadline'] = deadline


class _Request:
    __slots__ = ('sockets',)

    def __init__(self):
        self.sockets = []


def settle_in_flight(deadline):
    """Waits until no export is in flight or `deadline` (time.monotonic()) has passed, then shuts down
    the sockets of those still in flight: their blocked connect/recv returns at once (in their own
    thread) and they fail. An export that started before shutdown_deadline() was set keeps its full
    urllib timeout otherwise, and holds its processor's lock (which force_flush waits for) all along.
    Returns how many requests were cut."""
    import socket

    with _in_flight_changed:
        while _in_flight:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            _in_flight_changed.wait(left)
        cut = list(_in_flight)
    for request in cut:
        for sock in list(request.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass  # closed meanwhile (EBADF) or not connected: nothing to wake
    return len(cut)


def _create_connection(address, timeout=None, source_address=None, *args, **kwargs):
    """socket.create_connection for our HTTP(S) connections, with each socket registered on the
    current request before it connects (so that settle_in_flight can wake a connect or a read)."""
    import socket

    host, port = address
    error = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        request = getattr(_local, 'request', None)
        if request is not None:
            request.sockets.append(sock)
        try:
            if timeout is not None and timeout is not getattr(socket, '_GLOBAL_DEFAULT_TIMEOUT', None):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            error = e
            sock.close()
    raise error if error is not None else OSError('getaddrinfo returned nothing for %s' % host)


def _handlers(ctx):
    """urllib handlers whose connections open their sockets with _create_connection (proxies from
    the environment keep working: urllib's ProxyHandler stays in the opener)."""
    import http.client
    import urllib.request

    class HTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(HTTPConnection, req)

    if not hasattr(urllib.request, 'HTTPSHandler'):  # a Python without ssl: http:// only
        return [HTTPHandler()]

    class HTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = _create_connection

        def connect(self):
            super().connect()  # the plain socket registered above is now wrapped in TLS: register that
            request = getattr(_local, 'request', None)
            if request is not None:
                request.sockets.append(self.sock)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(HTTPSConnection, req, context=self._context)

    return [HTTPHandler(), HTTPSHandler(context=ctx)]


def _timeout(configured, asked):
    """The urllib timeout of one export: the configured one, the caller's if smaller, and once
    shutdown began the time left before its deadline (at least 50 ms: the request is still tried)."""
    timeout = configured if asked is None else min(asked, configured)
    deadline = _shutdown['deadline']
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
    return max(0.05, timeout)


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
            self._opener = urllib.request.build_opener(*_handlers(self._ssl_context()))
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
            timeout = _timeout(self.cfg['timeout_s'], timeout_s)
            token = _suppress()
            _local.request = current = _Request()
            with _in_flight_changed:
                _in_flight.add(current)
            try:
                with self._get_opener().open(request, timeout=timeout) as response:
                    response.read()
                    ok = 200 <= response.status < 300
            finally:
                _local.request = None
                with _in_flight_changed:
                    _in_flight.discard(current)
                    _in_flight_changed.notify_all()
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


def span_exporter(cfg):
    from _otel_injector_vendor.opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class OTLPSpanExporter(SpanExporter):
        def __init__(self):
            self.sender = Sender(cfg)
            self._shutdown = False

        def export(self, spans):
            if self._shutdown:
                return SpanExportResult.FAILURE
            ok = self.sender.send(otlp_encode.traces_request(spans))
            return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

        def shutdown(self):
            self._shutdown = True

        def force_flush(self, timeout_millis=30000):
            return True

    return OTLPSpanExporter()


def metric_exporter(cfg, temporality='cumulative'):
    from _otel_injector_vendor.opentelemetry.sdk.metrics import (
        Counter,
        Histogram,
        ObservableCounter,
        ObservableGauge,
        ObservableUpDownCounter,
        UpDownCounter,
    )
    from _otel_injector_vendor.opentelemetry.sdk.metrics.export import (
        AggregationTemporality,
        MetricExporter,
        MetricExportResult,
    )

    delta, cumulative = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
    preferred = {
        k: cumulative
        for k in (Counter, UpDownCounter, Histogram, ObservableCounter, ObservableUpDownCounter, ObservableGauge)
    }
    if temporality == 'delta':
        preferred.update({Counter: delta, Histogram: delta, ObservableCounter: delta})
    elif temporality == 'lowmemory':
        preferred.update({Counter: delta, Histogram: delta})

    class OTLPMetricExporter(MetricExporter):
        def __init__(self):
            super().__init__(preferred_temporality=preferred)
            self.sender = Sender(cfg)

        def export(self, metrics_data, timeout_millis=10000, **kwargs):
            tree = otlp_encode.metrics_request(metrics_data)
            if not tree['resourceMetrics']:
                return MetricExportResult.SUCCESS
            ok = self.sender.send(tree, timeout_millis / 1000.0)
            return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

        def force_flush(self, timeout_millis=10000):
            return True

        def shutdown(self, timeout_millis=30000, **kwargs):
            pass

    return OTLPMetricExporter()


def log_exporter(cfg):
    try:
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import LogRecordExporter as Base
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import LogRecordExportResult as Result
    except ImportError:  # older SDKs
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import LogExporter as Base
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import LogExportResult as Result

    class OTLPLogExporter(Base):
        def __init__(self):
            self.sender = Sender(cfg)
            self._shutdown = False

        def export(self, batch):
            if self._shutdown:
                return Result.FAILURE
            ok = self.sender.send(otlp_encode.logs_request(batch))
            return Result.SUCCESS if ok else Result.FAILURE

        def shutdown(self):
            self._shutdown = True

        def force_flush(self, timeout_millis=30000):
            return True

    return OTLPLogExporter()
