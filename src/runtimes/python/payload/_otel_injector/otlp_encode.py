"""OTLP encoding without the `protobuf` package: SDK data -> a neutral tree of dicts (OTLP/JSON field
names) -> protobuf wire format or OTLP/JSON, driven by one schema table (field numbers and types from
opentelemetry-proto v1: collector/{trace,metrics,logs}/v1, common/v1, resource/v1).

Proto3 rules kept: a scalar with its default value (0, '', b'', False) is not written, except fields
that belong to a oneof or are `optional` (marked `presence`), which are written whenever set."""

import base64
import json
import struct

# kinds: wire type 0 varint: 'uint', 'int64', 'sint', 'bool', 'enum'; 1 (64-bit): 'fixed64',
# 'sfixed64', 'double'; 5 (32-bit): 'fixed32'; 2 (length-delimited): 'string', 'bytes', 'id' (bytes,
# hex in JSON), message names. Field spec: (number, kind, repeated, presence).
F = lambda n, kind, repeated=False, presence=False: (n, kind, repeated, presence)  # noqa: E731

SCHEMA = {
    'AnyValue': {
        'stringValue': F(1, 'string', presence=True),
        'boolValue': F(2, 'bool', presence=True),
        'intValue': F(3, 'int64', presence=True),
        'doubleValue': F(4, 'double', presence=True),
        'arrayValue': F(5, 'ArrayValue', presence=True),
        'kvlistValue': F(6, 'KeyValueList', presence=True),
        'bytesValue': F(7, 'bytes', presence=True),
    },
    'ArrayValue': {'values': F(1, 'AnyValue', True)},
    'KeyValueList': {'values': F(1, 'KeyValue', True)},
    'KeyValue': {'key': F(1, 'string'), 'value': F(2, 'AnyValue')},
    'InstrumentationScope': {
        'name': F(1, 'string'),
        'version': F(2, 'string'),
        'attributes': F(3, 'KeyValue', True),
        'droppedAttributesCount': F(4, 'uint'),
    },
    'Resource': {'attributes': F(1, 'KeyValue', True), 'droppedAttributesCount': F(2, 'uint')},
    # traces
    'ExportTraceServiceRequest': {'resourceSpans': F(1, 'ResourceSpans', True)},
    'ResourceSpans': {
        'resource': F(1, 'Resource'),
        'scopeSpans': F(2, 'ScopeSpans', True),
        'schemaUrl': F(3, 'string'),
    },
    'ScopeSpans': {'scope': F(1, 'InstrumentationScope'), 'spans': F(2, 'Span', True), 'schemaUrl': F(3, 'string')},
    'Span': {
        'traceId': F(1, 'id'),
        'spanId': F(2, 'id'),
        'traceState': F(3, 'string'),
        'parentSpanId': F(4, 'id'),
        'name': F(5, 'string'),
        'kind': F(6, 'enum'),
        'startTimeUnixNano': F(7, 'fixed64'),
        'endTimeUnixNano': F(8, 'fixed64'),
        'attributes': F(9, 'KeyValue', True),
        'droppedAttributesCount': F(10, 'uint'),
        'events': F(11, 'Event', True),
        'droppedEventsCount': F(12, 'uint'),
        'links': F(13, 'Link', True),
        'droppedLinksCount': F(14, 'uint'),
        'status': F(15, 'Status'),
        'flags': F(16, 'fixed32'),
    },
    'Event': {
        'timeUnixNano': F(1, 'fixed64'),
        'name': F(2, 'string'),
        'attributes': F(3, 'KeyValue', True),
        'droppedAttributesCount': F(4, 'uint'),
    },
    'Link': {
        'traceId': F(1, 'id'),
        'spanId': F(2, 'id'),
        'traceState': F(3, 'string'),
        'attributes': F(4, 'KeyValue', True),
        'droppedAttributesCount': F(5, 'uint'),
        'flags': F(6, 'fixed32'),
    },
    'Status': {'message': F(2, 'string'), 'code': F(3, 'enum')},
    # metrics
    'ExportMetricsServiceRequest': {'resourceMetrics': F(1, 'ResourceMetrics', True)},
    'ResourceMetrics': {
        'resource': F(1, 'Resource'),
        'scopeMetrics': F(2, 'ScopeMetrics', True),
        'schemaUrl': F(3, 'string'),
    },
    'ScopeMetrics': {
        'scope': F(1, 'InstrumentationScope'),
        'metrics': F(2, 'Metric', True),
        'schemaUrl': F(3, 'string'),
    },
    'Metric': {
        'name': F(1, 'string'),
        'description': F(2, 'string'),
        'unit': F(3, 'string'),
        'gauge': F(5, 'Gauge', presence=True),
        'sum': F(7, 'Sum', presence=True),
        'histogram': F(9, 'Histogram', presence=True),
        'exponentialHistogram': F(10, 'ExponentialHistogram', presence=True),
    },
    'Gauge': {'dataPoints': F(1, 'NumberDataPoint', True)},
    'Sum': {
        'dataPoints': F(1, 'NumberDataPoint', True),
        'aggregationTemporality': F(2, 'enum'),
        'isMonotonic': F(3, 'bool'),
    },
    'Histogram': {'dataPoints': F(1, 'HistogramDataPoint', True), 'aggregationTemporality': F(2, 'enum')},
    'ExponentialHistogram': {
        'dataPoints': F(1, 'ExponentialHistogramDataPoint', True),
        'aggregationTemporality': F(2, 'enum'),
    },
    'NumberDataPoint': {
        'startTimeUnixNano': F(2, 'fixed64'),
        'timeUnixNano': F(3, 'fixed64'),
        'asDouble': F(4, 'double', presence=True),
        'exemplars': F(5, 'Exemplar', True),
        'asInt': F(6, 'sfixed64', presence=True),
        'attributes': F(7, 'KeyValue', True),
        'flags': F(8, 'uint'),
    },
    'HistogramDataPoint': {
        'startTimeUnixNano': F(2, 'fixed64'),
        'timeUnixNano': F(3, 'fixed64'),
        'count': F(4, 'fixed64'),
        'sum': F(5, 'double', presence=True),
        'bucketCounts': F(6, 'fixed64', True),
        'explicitBounds': F(7, 'double', True),
        'exemplars': F(8, 'Exemplar', True),
        'attributes': F(9, 'KeyValue', True),
        'flags': F(10, 'uint'),
        'min': F(11, 'double', presence=True),
        'max': F(12, 'double', presence=True),
    },
    'ExponentialHistogramDataPoint': {
        'attributes': F(1, 'KeyValue', True),
        'startTimeUnixNano': F(2, 'fixed64'),
        'timeUnixNano': F(3, 'fixed64'),
        'count': F(4, 'fixed64'),
        'sum': F(5, 'double', presence=True),
        'scale': F(6, 'sint'),
        'zeroCount': F(7, 'fixed64'),
        'positive': F(8, 'Buckets'),
        'negative': F(9, 'Buckets'),
        'flags': F(10, 'uint'),
        'exemplars': F(11, 'Exemplar', True),
        'min': F(12, 'double', presence=True),
        'max': F(13, 'double', presence=True),
        'zeroThreshold': F(14, 'double'),
    },
    'Buckets': {'offset': F(1, 'sint'), 'bucketCounts': F(2, 'uint', True)},
    'Exemplar': {
        'timeUnixNano': F(2, 'fixed64'),
        'asDouble': F(3, 'double', presence=True),
        'spanId': F(4, 'id'),
        'traceId': F(5, 'id'),
        'asInt': F(6, 'sfixed64', presence=True),
        'filteredAttributes': F(7, 'KeyValue', True),
    },
    # logs
    'ExportLogsServiceRequest': {'resourceLogs': F(1, 'ResourceLogs', True)},
    'ResourceLogs': {'resource': F(1, 'Resource'), 'scopeLogs': F(2, 'ScopeLogs', True), 'schemaUrl': F(3, 'string')},
    'ScopeLogs': {
        'scope': F(1, 'InstrumentationScope'),
        'logRecords': F(2, 'LogRecord', True),
        'schemaUrl': F(3, 'string'),
    },
    'LogRecord': {
        'timeUnixNano': F(1, 'fixed64'),
        'severityNumber': F(2, 'enum'),
        'severityText': F(3, 'string'),
        'body': F(5, 'AnyValue'),
        'attributes': F(6, 'KeyValue', True),
        'droppedAttributesCount': F(7, 'uint'),
        'flags': F(8, 'fixed32'),
        'traceId': F(9, 'id'),
        'spanId': F(10, 'id'),
        'observedTimeUnixNano': F(11, 'fixed64'),
        'eventName': F(12, 'string'),
    },
}

_VARINT = ('uint', 'int64', 'sint', 'bool', 'enum')
_PACKABLE = _VARINT + ('fixed64', 'sfixed64', 'double', 'fixed32')
_WIRE = {'fixed64': 1, 'sfixed64': 1, 'double': 1, 'fixed32': 5}
_STRUCT = {'fixed64': '<Q', 'sfixed64': '<q', 'double': '<d', 'fixed32': '<I'}


def _varint(n, out):
    if n < 0:
        n += 1 << 64  # int64 two's complement: 10 bytes
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _tag(number, wire, out):
    _varint((number << 3) | wire, out)


def _scalar_varint(kind, value):
    if kind == 'sint':
        return (value << 1) ^ (value >> 63)
    if kind == 'bool':
        return 1 if value else 0
    return int(value)


def _is_default(kind, value):
    if kind in SCHEMA:
        return False
    return not value  # 0, 0.0, '', b'', False


def _write_field(number, kind, value, out):
    if kind in _VARINT:
        _tag(number, 0, out)
        _varint(_scalar_varint(kind, value), out)
    elif kind in _WIRE:
        _tag(number, _WIRE[kind], out)
        out += struct.pack(_STRUCT[kind], value)
    else:
        if kind == 'string':
            data = value.encode('utf-8', 'surrogatepass')
        elif kind in ('bytes', 'id'):
            data = bytes(value)
        else:
            data = encode(kind, value)
        _tag(number, 2, out)
        _varint(len(data), out)
        out += data


def encode(message, tree):
    """protobuf wire bytes of `tree` (a dict with OTLP/JSON field names) as message type `message`."""
    fields = SCHEMA[message]
    out = bytearray()
    for name, value in tree.items():
        spec = fields.get(name)
        if spec is None or value is None:
            continue
        number, kind, repeated, presence = spec
        if repeated:
            if not value:
                continue
            if kind in _PACKABLE:
                packed = bytearray()
                if kind in _VARINT:
                    for v in value:
                        _varint(_scalar_varint(kind, v), packed)
                else:
                    packed += struct.pack('<%d%s' % (len(value), _STRUCT[kind][1]), *value)
                _tag(number, 2, out)
                _varint(len(packed), out)
                out += packed
            else:
                for v in value:
                    _write_field(number, kind, v, out)
        elif presence or not _is_default(kind, value):
            _write_field(number, kind, value, out)
    return bytes(out)


def _json_value(kind, value):
    if kind in SCHEMA:
        return to_json_tree(kind, value)
    if kind == 'id':
        return bytes(value).hex()
    if kind == 'bytes':
        return base64.b64encode(bytes(value)).decode('ascii')
    if kind in ('int64', 'fixed64', 'sfixed64'):
        return str(int(value))  # proto3 JSON: 64-bit integers are strings
    if kind == 'double':
        v = float(value)
        if v != v:
            return 'NaN'
        if v in (float('inf'), float('-inf')):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    return value


def to_json_tree(message, tree):
    """The OTLP/JSON form of `tree`: ids as hex, 64-bit integers as strings, defaults left out."""
    fields = SCHEMA[message]
    out = {}
    for name, value in tree.items():
        spec = fields.get(name)
        if spec is None or value is None:
            continue
        _, kind, repeated, presence = spec
        if repeated:
            if value:
                out[name] = [_json_value(kind, v) for v in value]
        elif presence or not _is_default(kind, value):
            out[name] = _json_value(kind, value)
    return out


def encode_json(message, tree):
    return json.dumps(to_json_tree(message, tree), separators=(',', ':'), allow_nan=False).encode('utf-8')


# ---- SDK objects -> trees ----------------------------------------------------------------------------
def any_value(v):
    if isinstance(v, bool):
        return {'boolValue': v}
    if isinstance(v, int):
        if -(1 << 63) <= v < (1 << 63):
            return {'intValue': v}
        return {'stringValue': str(v)}
    if isinstance(v, float):
        return {'doubleValue': v}
    if isinstance(v, str):
        return {'stringValue': v}
    if isinstance(v, (bytes, bytearray)):
        return {'bytesValue': bytes(v)}
    if isinstance(v, (list, tuple)):
        return {'arrayValue': {'values': [any_value(x) for x in v]}}
    if isinstance(v, dict) or hasattr(v, 'items'):
        return {'kvlistValue': {'values': attributes(v)}}
    if v is None:
        return {}
    return {'stringValue': str(v)}


def attributes(attrs):
    if not attrs:
        return []
    return [{'key': str(k), 'value': any_value(v)} for k, v in attrs.items()]


def _id(n, size):
    return n.to_bytes(size, 'big')


def resource_tree(resource):
    return {'attributes': attributes(resource.attributes)}


def scope_tree(scope):
    if scope is None:
        return {}
    return {
        'name': scope.name,
        'version': scope.version or '',
        'attributes': attributes(getattr(scope, 'attributes', None)),
    }


def _dropped(obj, name):
    return int(getattr(obj, name, 0) or 0)


def span_tree(span):
    ctx = span.context
    parent = span.parent
    flags = int(ctx.trace_flags) | 0x100  # HAS_IS_REMOTE: we know whether the parent is remote
    if parent is not None and parent.is_remote:
        flags |= 0x200
    tree = {
        'traceId': _id(ctx.trace_id, 16),
        'spanId': _id(ctx.span_id, 8),
        'traceState': ctx.trace_state.to_header() if ctx.trace_state else '',
        'parentSpanId': _id(parent.span_id, 8) if parent is not None else b'',
        'name': span.name,
        'kind': span.kind.value + 1,  # the API's INTERNAL is 0, OTLP's SPAN_KIND_INTERNAL is 1
        'startTimeUnixNano': span.start_time or 0,
        'endTimeUnixNano': span.end_time or 0,
        'attributes': attributes(span.attributes),
        'droppedAttributesCount': _dropped(span, 'dropped_attributes'),
        'events': [
            {
                'timeUnixNano': e.timestamp,
                'name': e.name,
                'attributes': attributes(e.attributes),
                'droppedAttributesCount': _dropped(e, 'dropped_attributes'),
            }
            for e in span.events
        ],
        'droppedEventsCount': _dropped(span, 'dropped_events'),
        'links': [_link_tree(link) for link in span.links],
        'droppedLinksCount': _dropped(span, 'dropped_links'),
        'flags': flags,
    }
    status = span.status
    if status is not None and (status.status_code.value or status.description):
        tree['status'] = {'code': status.status_code.value, 'message': status.description or ''}
    return tree


def _link_tree(link):
    ctx = link.context
    return {
        'traceId': _id(ctx.trace_id, 16),
        'spanId': _id(ctx.span_id, 8),
        'traceState': ctx.trace_state.to_header() if ctx.trace_state else '',
        'attributes': attributes(link.attributes),
        'droppedAttributesCount': _dropped(link, 'dropped_attributes'),
        'flags': int(ctx.trace_flags) | 0x100 | (0x200 if ctx.is_remote else 0),
    }


def _group(items, resource_of, scope_of):
    """[(resource, [(scope, [item])])] keeping first-seen order."""
    by_resource = {}
    order = []
    for item in items:
        r = resource_of(item)
        key = id(r)
        if key not in by_resource:
            by_resource[key] = (r, {}, [])
            order.append(key)
        _, scopes, scope_order = by_resource[key]
        s = scope_of(item)
        skey = (s.name, s.version, s.schema_url) if s is not None else None
        if skey not in scopes:
            scopes[skey] = (s, [])
            scope_order.append(skey)
        scopes[skey][1].append(item)
    return [(by_resource[k][0], [by_resource[k][1][sk] for sk in by_resource[k][2]]) for k in order]


def traces_request(spans):
    resource_spans = []
    for resource, scopes in _group(spans, lambda s: s.resource, lambda s: s.instrumentation_scope):
        resource_spans.append(
            {
                'resource': resource_tree(resource),
                'schemaUrl': resource.schema_url or '',
                'scopeSpans': [
                    {
                        'scope': scope_tree(scope),
                        'schemaUrl': (scope.schema_url or '') if scope else '',
                        'spans': [span_tree(s) for s in items],
                    }
                    for scope, items in scopes
                ],
            }
        )
    return {'resourceSpans': resource_spans}


def _number_point(p):
    tree = {
        'attributes': attributes(p.attributes),
        'startTimeUnixNano': p.start_time_unix_nano or 0,
        'timeUnixNano': p.time_unix_nano,
        'exemplars': _exemplars(p),
    }
    if isinstance(p.value, int) and not isinstance(p.value, bool):
        tree['asInt'] = p.value
    else:
        tree['asDouble'] = float(p.value)
    return tree


def _exemplars(p):
    out = []
    for e in getattr(p, 'exemplars', None) or ():
        t = {'timeUnixNano': e.time_unix_nano, 'filteredAttributes': attributes(e.filtered_attributes)}
        if e.span_id is not None and e.trace_id is not None:
            t['spanId'] = _id(e.span_id, 8)
            t['traceId'] = _id(e.trace_id, 16)
        if isinstance(e.value, int) and not isinstance(e.value, bool):
            t['asInt'] = e.value
        else:
            t['asDouble'] = float(e.value)
        out.append(t)
    return out


def _histogram_point(p):
    return {
        'attributes': attributes(p.attributes),
        'startTimeUnixNano': p.start_time_unix_nano or 0,
        'timeUnixNano': p.time_unix_nano,
        'count': p.count,
        'sum': float(p.sum),
        'bucketCounts': list(p.bucket_counts),
        'explicitBounds': [float(b) for b in p.explicit_bounds],
        'min': float(p.min),
        'max': float(p.max),
        'exemplars': _exemplars(p),
    }


def _exp_histogram_point(p):
    return {
        'attributes': attributes(p.attributes),
        'startTimeUnixNano': p.start_time_unix_nano or 0,
        'timeUnixNano': p.time_unix_nano,
        'count': p.count,
        'sum': float(p.sum),
        'scale': p.scale,
        'zeroCount': p.zero_count,
        'positive': {'offset': p.positive.offset, 'bucketCounts': list(p.positive.bucket_counts)},
        'negative': {'offset': p.negative.offset, 'bucketCounts': list(p.negative.bucket_counts)},
        'flags': p.flags,
        'min': float(p.min),
        'max': float(p.max),
        'exemplars': _exemplars(p),
    }


def metric_tree(metric):
    data = metric.data
    kind = type(data).__name__
    tree = {'name': metric.name, 'description': metric.description or '', 'unit': metric.unit or ''}
    if kind == 'Sum':
        tree['sum'] = {
            'dataPoints': [_number_point(p) for p in data.data_points],
            'aggregationTemporality': int(data.aggregation_temporality.value),
            'isMonotonic': bool(data.is_monotonic),
        }
    elif kind == 'Gauge':
        tree['gauge'] = {'dataPoints': [_number_point(p) for p in data.data_points]}
    elif kind == 'Histogram':
        tree['histogram'] = {
            'dataPoints': [_histogram_point(p) for p in data.data_points],
            'aggregationTemporality': int(data.aggregation_temporality.value),
        }
    elif kind == 'ExponentialHistogram':
        tree['exponentialHistogram'] = {
            'dataPoints': [_exp_histogram_point(p) for p in data.data_points],
            'aggregationTemporality': int(data.aggregation_temporality.value),
        }
    else:
        return None
    return tree


def metrics_request(metrics_data):
    out = []
    for rm in metrics_data.resource_metrics:
        scope_metrics = []
        for sm in rm.scope_metrics:
            metrics = [t for t in (metric_tree(m) for m in sm.metrics) if t is not None]
            if metrics:
                scope_metrics.append(
                    {'scope': scope_tree(sm.scope), 'schemaUrl': sm.schema_url or '', 'metrics': metrics}
                )
        if scope_metrics:
            out.append(
                {
                    'resource': resource_tree(rm.resource),
                    'schemaUrl': rm.schema_url or '',
                    'scopeMetrics': scope_metrics,
                }
            )
    return {'resourceMetrics': out}


def _log_record(item):
    """The SDK's log record from what a LogRecordExporter receives (1.39+: ReadableLogRecord with
    .log_record; older: LogData with .log_record; and instrumentation_scope/resource beside it)."""
    return getattr(item, 'log_record', item)


def log_tree(item):
    r = _log_record(item)
    tree = {
        'timeUnixNano': r.timestamp or 0,
        'observedTimeUnixNano': getattr(r, 'observed_timestamp', 0) or 0,
        'severityNumber': r.severity_number.value if r.severity_number is not None else 0,
        'severityText': r.severity_text or '',
        'attributes': attributes(r.attributes),
        'droppedAttributesCount': _dropped(item, 'dropped_attributes') or _dropped(r, 'dropped_attributes'),
        'flags': int(r.trace_flags) if r.trace_flags is not None else 0,
        'traceId': _id(r.trace_id, 16) if r.trace_id else b'',
        'spanId': _id(r.span_id, 8) if r.span_id else b'',
        'eventName': getattr(r, 'event_name', None) or '',
    }
    if r.body is not None:
        tree['body'] = any_value(r.body)
    return tree


def _log_resource(item):
    return getattr(item, 'resource', None) or getattr(_log_record(item), 'resource', None)


def logs_request(items):
    resource_logs = []
    for resource, scopes in _group(items, _log_resource, lambda i: getattr(i, 'instrumentation_scope', None)):
        resource_logs.append(
            {
                'resource': resource_tree(resource) if resource is not None else {},
                'schemaUrl': (resource.schema_url or '') if resource is not None else '',
                'scopeLogs': [
                    {
                        'scope': scope_tree(scope),
                        'schemaUrl': (scope.schema_url or '') if scope else '',
                        'logRecords': [log_tree(i) for i in its],
                    }
                    for scope, its in scopes
                ],
            }
        )
    return {'resourceLogs': resource_logs}
