"""SDK MetricsData -> the OTLP ExportMetricsServiceRequest tree (see otlp_encode)."""

from .otlp_trees import attributes, id_bytes, resource_tree, scope_tree


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
            t['spanId'] = id_bytes(e.span_id, 8)
            t['traceId'] = id_bytes(e.trace_id, 16)
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
