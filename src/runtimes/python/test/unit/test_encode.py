"""Our protobuf/JSON encoder, decoded with the real `protobuf` + `opentelemetry-proto` (test-only
dependencies) and compared field by field with the SDK objects it was built from."""

import json
import math

from _otel_injector import otlp_encode
from conftest import attrs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _spans():
    from _otel_injector_vendor.opentelemetry import trace
    from _otel_injector_vendor.opentelemetry.sdk.resources import Resource
    from _otel_injector_vendor.opentelemetry.sdk.trace import TracerProvider
    from _otel_injector_vendor.opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from _otel_injector_vendor.opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({'service.name': 'enc', 'k': 'v', 'n': 7}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer('scope-a', '1.2.3')
    other = provider.get_tracer('scope-b')
    remote = trace.SpanContext(
        0x0102030405060708090A0B0C0D0E0F10,
        0x1112131415161718,
        True,
        trace.TraceFlags(1),
        trace.TraceState([('vendor', 'x')]),
    )
    with tracer.start_as_current_span(
        'root',
        context=trace.set_span_in_context(trace.NonRecordingSpan(remote)),
        kind=trace.SpanKind.SERVER,
        attributes={
            's': 'ünï',
            'i': -42,
            'big': 2**63 - 1,
            'f': 1.5,
            'b': True,
            'arr': [1, 2, 3],
            'sarr': ['a', 'b'],
            'empty': '',
        },
    ) as root:
        root.add_event('ev', {'e': 1})
        with other.start_as_current_span(
            'child', kind=trace.SpanKind.CLIENT, links=[trace.Link(remote, {'l': 'x'})]
        ) as child:
            child.set_status(trace.Status(trace.StatusCode.ERROR, 'boom'))
    return exporter.get_finished_spans()


def test_traces_protobuf_field_by_field():
    spans = _spans()
    req = ExportTraceServiceRequest.FromString(
        otlp_encode.encode('ExportTraceServiceRequest', otlp_encode.traces_request(spans))
    )
    assert len(req.resource_spans) == 1
    rs = req.resource_spans[0]
    assert attrs(rs.resource.attributes) == {'service.name': 'enc', 'k': 'v', 'n': 7}
    by_scope = {ss.scope.name: ss for ss in rs.scope_spans}
    assert set(by_scope) == {'scope-a', 'scope-b'}
    assert by_scope['scope-a'].scope.version == '1.2.3'
    decoded = {s.name: s for ss in rs.scope_spans for s in ss.spans}
    for sdk in spans:
        pb = decoded[sdk.name]
        assert pb.trace_id == sdk.context.trace_id.to_bytes(16, 'big')
        assert pb.span_id == sdk.context.span_id.to_bytes(8, 'big')
        assert pb.parent_span_id == sdk.parent.span_id.to_bytes(8, 'big')
        assert pb.start_time_unix_nano == sdk.start_time
        assert pb.end_time_unix_nano == sdk.end_time
        assert pb.kind == sdk.kind.value + 1
        assert attrs(pb.attributes).keys() == dict(sdk.attributes).keys()
    root, child = decoded['root'], decoded['child']
    assert root.trace_id.hex() == '0102030405060708090a0b0c0d0e0f10'
    assert root.parent_span_id.hex() == '1112131415161718'
    assert root.flags == 0x301  # sampled, has-is-remote, parent remote
    assert child.flags == 0x101
    assert root.kind == 2 and child.kind == 3  # SERVER, CLIENT
    a = attrs(root.attributes)
    assert a['s'] == 'ünï' and a['i'] == -42 and a['big'] == 2**63 - 1 and a['f'] == 1.5 and a['b'] is True
    assert a['empty'] == ''
    assert [v.int_value for v in a['arr'].values] == [1, 2, 3]
    assert [v.string_value for v in a['sarr'].values] == ['a', 'b']
    assert root.events[0].name == 'ev' and attrs(root.events[0].attributes) == {'e': 1}
    assert root.events[0].time_unix_nano == spans[-1].events[0].timestamp
    assert child.status.code == 2 and child.status.message == 'boom'
    assert not root.HasField('status') or root.status.code == 0
    assert child.links[0].trace_id.hex() == '0102030405060708090a0b0c0d0e0f10'
    assert child.links[0].trace_state == 'vendor=x' and attrs(child.links[0].attributes) == {'l': 'x'}


def test_traces_json():
    spans = _spans()
    doc = json.loads(otlp_encode.encode_json('ExportTraceServiceRequest', otlp_encode.traces_request(spans)))
    spans_json = {s['name']: s for ss in doc['resourceSpans'][0]['scopeSpans'] for s in ss['spans']}
    root = spans_json['root']
    sdk_root = [s for s in spans if s.name == 'root'][0]
    assert root['traceId'] == '0102030405060708090a0b0c0d0e0f10'
    assert root['spanId'] == '%016x' % sdk_root.context.span_id
    assert root['startTimeUnixNano'] == str(sdk_root.start_time)
    assert root['kind'] == 2
    a = {kv['key']: kv['value'] for kv in root['attributes']}
    assert a['i'] == {'intValue': '-42'} and a['s'] == {'stringValue': 'ünï'} and a['b'] == {'boolValue': True}
    assert a['f'] == {'doubleValue': 1.5}


def test_metrics_protobuf_field_by_field():
    from _otel_injector_vendor.opentelemetry.metrics import Observation
    from _otel_injector_vendor.opentelemetry.sdk.metrics import MeterProvider
    from _otel_injector_vendor.opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from _otel_injector_vendor.opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
    from _otel_injector_vendor.opentelemetry.sdk.resources import Resource

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        resource=Resource({'service.name': 'm'}),
        metric_readers=[reader],
        shutdown_on_exit=False,
        views=[View(instrument_name='exp', aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = provider.get_meter('mscope', '0.1')
    meter.create_counter('requests', unit='1', description='reqs').add(3, {'route': '/a'})
    meter.create_up_down_counter('active').add(-2)
    h = meter.create_histogram('duration', unit='s')
    for v in (0.5, 3.0, 7.0):
        h.record(v, {'m': 'GET'})
    e = meter.create_histogram('exp')
    for v in (1.0, 2.0, 4.0, 0.0):
        e.record(v)
    meter.create_observable_gauge('temp', callbacks=[lambda options: [Observation(21.5, {'room': 'x'})]])
    data = reader.get_metrics_data()
    req = ExportMetricsServiceRequest.FromString(
        otlp_encode.encode('ExportMetricsServiceRequest', otlp_encode.metrics_request(data))
    )
    metrics = {m.name: m for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert attrs(req.resource_metrics[0].resource.attributes) == {'service.name': 'm'}
    assert req.resource_metrics[0].scope_metrics[0].scope.name == 'mscope'
    c = metrics['requests']
    assert c.unit == '1' and c.description == 'reqs'
    assert c.sum.is_monotonic and c.sum.aggregation_temporality == 2
    assert c.sum.data_points[0].as_int == 3 and attrs(c.sum.data_points[0].attributes) == {'route': '/a'}
    assert c.sum.data_points[0].start_time_unix_nano > 0
    assert metrics['active'].sum.data_points[0].as_int == -2 and not metrics['active'].sum.is_monotonic
    hp = metrics['duration'].histogram.data_points[0]
    sdk_hp = [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.name == 'duration'][
        0
    ].data.data_points[0]
    assert hp.count == 3 and hp.sum == 10.5 and hp.min == 0.5 and hp.max == 7.0
    assert list(hp.bucket_counts) == list(sdk_hp.bucket_counts)
    assert list(hp.explicit_bounds) == [float(b) for b in sdk_hp.explicit_bounds]
    ep = metrics['exp'].exponential_histogram.data_points[0]
    sdk_ep = [m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics if m.name == 'exp'][
        0
    ].data.data_points[0]
    assert ep.count == 4 and ep.zero_count == 1 and ep.scale == sdk_ep.scale and ep.sum == 7.0
    assert ep.positive.offset == sdk_ep.positive.offset
    assert (
        list(ep.positive.bucket_counts) == list(sdk_ep.positive.bucket_counts) and sum(ep.positive.bucket_counts) == 3
    )
    assert ep.negative.offset == sdk_ep.negative.offset
    assert list(ep.negative.bucket_counts) == list(sdk_ep.negative.bucket_counts)
    assert ep.min == 0.0 and ep.max == 4.0
    g = metrics['temp'].gauge.data_points[0]
    assert g.as_double == 21.5 and attrs(g.attributes) == {'room': 'x'}


def test_zero_values_of_oneofs_are_kept():
    tree = {
        'resourceMetrics': [
            {
                'scopeMetrics': [
                    {
                        'metrics': [
                            {
                                'name': 'z',
                                'gauge': {
                                    'dataPoints': [
                                        {'timeUnixNano': 1, 'asDouble': 0.0},
                                        {'timeUnixNano': 2, 'asInt': 0},
                                    ]
                                },
                            },
                            {'name': 'nan', 'gauge': {'dataPoints': [{'timeUnixNano': 1, 'asDouble': float('nan')}]}},
                        ]
                    }
                ]
            }
        ]
    }
    req = ExportMetricsServiceRequest.FromString(otlp_encode.encode('ExportMetricsServiceRequest', tree))
    m = req.resource_metrics[0].scope_metrics[0].metrics
    assert m[0].gauge.data_points[0].WhichOneof('value') == 'as_double'
    assert m[0].gauge.data_points[1].WhichOneof('value') == 'as_int'
    assert math.isnan(m[1].gauge.data_points[0].as_double)
    assert (
        json.loads(otlp_encode.encode_json('ExportMetricsServiceRequest', tree))['resourceMetrics'][0]['scopeMetrics'][
            0
        ]['metrics'][1]['gauge']['dataPoints'][0]['asDouble']
        == 'NaN'
    )


def test_logs_protobuf_field_by_field():
    from _otel_injector_vendor.opentelemetry import trace
    from _otel_injector_vendor.opentelemetry._logs import LogRecord, SeverityNumber
    from _otel_injector_vendor.opentelemetry.sdk._logs import LoggerProvider
    from _otel_injector_vendor.opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from _otel_injector_vendor.opentelemetry.sdk.resources import Resource
    from _otel_injector_vendor.opentelemetry.sdk.trace import TracerProvider

    try:
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import InMemoryLogRecordExporter as Mem
    except ImportError:
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import InMemoryLogExporter as Mem
    exporter = Mem()
    provider = LoggerProvider(resource=Resource({'service.name': 'l'}), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    tracer = TracerProvider(shutdown_on_exit=False).get_tracer('t')
    with tracer.start_as_current_span('s') as span:
        provider.get_logger('app.logger').emit(
            LogRecord(
                timestamp=123456789,
                context=trace.set_span_in_context(span),
                severity_text='WARN',
                severity_number=SeverityNumber.WARN,
                body='hello',
                attributes={'a': 1, 'code.line.number': 9},
            )
        )
    items = exporter.get_finished_logs()
    req = ExportLogsServiceRequest.FromString(
        otlp_encode.encode('ExportLogsServiceRequest', otlp_encode.logs_request(items))
    )
    rl = req.resource_logs[0]
    assert attrs(rl.resource.attributes) == {'service.name': 'l'}
    assert rl.scope_logs[0].scope.name == 'app.logger'
    lr = rl.scope_logs[0].log_records[0]
    assert lr.time_unix_nano == 123456789 and lr.observed_time_unix_nano > 0
    assert lr.severity_number == 13 and lr.severity_text == 'WARN'
    assert lr.body.string_value == 'hello'
    assert attrs(lr.attributes) == {'a': 1, 'code.line.number': 9}
    assert lr.trace_id == span.get_span_context().trace_id.to_bytes(16, 'big')
    assert lr.span_id == span.get_span_context().span_id.to_bytes(8, 'big')
    assert lr.flags == int(items[0].log_record.trace_flags) == int(span.get_span_context().trace_flags)


def test_any_value_kinds_roundtrip():
    tree = {
        'resourceSpans': [
            {
                'resource': {
                    'attributes': otlp_encode.attributes(
                        {'bytes': b'\x00\xff', 'kv': {'a': 1, 'b': [True, 2.5]}, 'huge': 2**70, 'neg': -(2**63)}
                    )
                }
            }
        ]
    }
    rs = ExportTraceServiceRequest.FromString(otlp_encode.encode('ExportTraceServiceRequest', tree)).resource_spans[0]
    a = attrs(rs.resource.attributes)
    assert a['bytes'] == b'\x00\xff'
    assert attrs(a['kv'].values)['a'] == 1
    assert [v.WhichOneof('value') for v in attrs(a['kv'].values)['b'].values] == ['bool_value', 'double_value']
    assert a['huge'] == str(2**70)  # beyond int64: sent as a string, not wrapped
    assert a['neg'] == -(2**63)
