"""Our OTLP/HTTP exporters (traces, metrics, logs): otlp_encode + urllib. One bounded attempt per
batch (no retry loop that could hold a flush or the exit), at most one stderr line per process about
export failures. No `protobuf`, no `requests`."""
import threading
import time

from . import messages, otlp_encode

# urllib.request, ssl and gzip are imported at the first export (in the exporter's thread), not at
# process start.

USER_AGENT = 'otel-injector-python'
_REQUEST_TYPE = {'traces': 'ExportTraceServiceRequest', 'metrics': 'ExportMetricsServiceRequest',
                 'logs': 'ExportLogsServiceRequest'}


_shutdown = {'deadline': None}


def shutdown_deadline(deadline):
    """From now on no export waits past `deadline` (time.monotonic()): the process is stopping."""
    _shutdown['deadline'] = deadline


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
        self._lock = threading.Lock()
        self.failures = 0

    def _ssl_context(self):
        import ssl
        cfg = self.cfg
        if not cfg['endpoint'].startswith('https://'):
            return None
        ctx = ssl.create_default_context(cafile=cfg['certificate']) if cfg['certificate'] else ssl.create_default_context()
        if cfg['client_certificate']:
            ctx.load_cert_chain(cfg['client_certificate'], cfg['client_key'])
        return ctx

    def _get_opener(self):
        import urllib.request
        if self._opener is None:
            handlers = []
            ctx = self._ssl_context()
            if ctx is not None:
                handlers.append(urllib.request.HTTPSHandler(context=ctx))
            self._opener = urllib.request.build_opener(*handlers)
        return self._opener

    def body(self, tree):
        data = otlp_encode.encode_json(self.message, tree) if self.json else otlp_encode.encode(self.message, tree)
        if self.cfg['compression'] == 'gzip':
            import gzip
            return gzip.compress(data, 6)
        return data

    def send(self, tree, timeout_s=None):
        import urllib.error
        import urllib.request
        try:
            data = self.body(tree)
            headers = dict(self.cfg['headers'])
            headers['Content-Type'] = 'application/json' if self.json else 'application/x-protobuf'
            headers['User-Agent'] = USER_AGENT
            if self.cfg['compression'] == 'gzip':
                headers['Content-Encoding'] = 'gzip'
            request = urllib.request.Request(self.cfg['endpoint'], data=data, headers=headers, method='POST')
            timeout = _timeout(self.cfg['timeout_s'], timeout_s)
            token = _suppress()
            try:
                with self._get_opener().open(request, timeout=timeout) as response:
                    response.read()
                    ok = 200 <= response.status < 300
            finally:
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
        messages.say('export of %s to %s failed (%s); further export errors are not printed'
                     % (self.signal, self.cfg['endpoint'], why), once_key='export-failure')


def _suppress():
    """Marks the export as ours so that no instrumentation records it (urllib is not instrumented by
    us, but an app may instrument it)."""
    try:
        from opentelemetry import context
        return context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    except Exception:
        return None


def _unsuppress(token):
    if token is not None:
        try:
            from opentelemetry import context
            context.detach(token)
        except Exception:
            pass


def span_exporter(cfg):
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

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
    from opentelemetry.sdk.metrics import Counter, Histogram, ObservableCounter, ObservableGauge, \
        ObservableUpDownCounter, UpDownCounter
    from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricExporter, MetricExportResult
    delta, cumulative = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
    preferred = {k: cumulative for k in (Counter, UpDownCounter, Histogram, ObservableCounter,
                                         ObservableUpDownCounter, ObservableGauge)}
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
        from opentelemetry.sdk._logs.export import LogRecordExporter as Base, LogRecordExportResult as Result
    except ImportError:  # older SDKs
        from opentelemetry.sdk._logs.export import LogExporter as Base, LogExportResult as Result

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
