"""Our OTLP/HTTP exporters (traces, metrics, logs): otlp_encode + urllib (the POST: otlp_sender; the
requests in flight and the shutdown deadline: otlp_inflight). One bounded attempt per batch (no retry
loop that could hold a flush or the exit), at most one stderr line per process about export failures.
No `protobuf`, no `requests`."""

from . import otlp_encode
from .otlp_inflight import after_fork, settle_in_flight, shutdown_deadline
from .otlp_sender import Sender

# what the flush and the fork handling call: otlp_export.after_fork(), .shutdown_deadline(), ...
__all__ = ['after_fork', 'log_exporter', 'metric_exporter', 'settle_in_flight', 'shutdown_deadline', 'span_exporter']


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
