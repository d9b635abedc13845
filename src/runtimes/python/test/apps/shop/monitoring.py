"""The app's own OpenTelemetry setup, the way the first user's shared/monitoring package does it when a
Deployment sets ENABLE_TRACING=true: its own tracer, meter and logger providers exporting over OTLP/HTTP to
OTEL_COLLECTOR_ENDPOINT, FastAPI and httpx instrumented explicitly. Needs opentelemetry-sdk, the OTLP/HTTP
exporter and the two instrumentations in the app's venv."""

import logging
import os

from opentelemetry import _logs, metrics, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

try:
    from opentelemetry.sdk._logs import LoggingHandler
except ImportError:  # moved out of the SDK in later releases
    from opentelemetry.instrumentation.logging.handler import LoggingHandler


def setup_telemetry(app):
    endpoint = os.environ['OTEL_COLLECTOR_ENDPOINT'].rstrip('/')
    resource = Resource.create(
        {'service.name': os.environ.get('OTEL_SERVICE_NAME', 'shop'), 'telemetry.setup': 'shared.monitoring'}
    )

    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint + '/v1/traces')))
    trace.set_tracer_provider(tracer_provider)

    if os.environ.get('ENABLE_OTEL_METRICS') == 'true':
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=endpoint + '/v1/metrics'), export_interval_millis=1000
        )
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))

    if os.environ.get('OTEL_LOGS_EXPORTER') == 'otlp':
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint + '/v1/logs'))
        )
        _logs.set_logger_provider(logger_provider)
        logging.getLogger().addHandler(LoggingHandler(level=logging.INFO, logger_provider=logger_provider))

    FastAPIInstrumentor.instrument_app(app)
    HTTPXClientInstrumentor().instrument()
