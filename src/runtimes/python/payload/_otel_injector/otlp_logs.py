"""SDK log records -> the OTLP ExportLogsServiceRequest tree (see otlp_encode)."""

from .otlp_trees import any_value, attributes, dropped, group, id_bytes, resource_tree, scope_tree


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
        'droppedAttributesCount': dropped(item, 'dropped_attributes') or dropped(r, 'dropped_attributes'),
        'flags': int(r.trace_flags) if r.trace_flags is not None else 0,
        'traceId': id_bytes(r.trace_id, 16) if r.trace_id else b'',
        'spanId': id_bytes(r.span_id, 8) if r.span_id else b'',
        'eventName': getattr(r, 'event_name', None) or '',
    }
    if r.body is not None:
        tree['body'] = any_value(r.body)
    return tree


def _log_resource(item):
    return getattr(item, 'resource', None) or getattr(_log_record(item), 'resource', None)


def logs_request(items):
    resource_logs = []
    for resource, scopes in group(items, _log_resource, lambda i: getattr(i, 'instrumentation_scope', None)):
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
