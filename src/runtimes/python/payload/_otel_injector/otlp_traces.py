"""SDK spans -> the OTLP ExportTraceServiceRequest tree (see otlp_encode)."""

from .otlp_trees import attributes, dropped, group, id_bytes, resource_tree, scope_tree


def span_tree(span):
    ctx = span.context
    parent = span.parent
    flags = int(ctx.trace_flags) | 0x100  # HAS_IS_REMOTE: we know whether the parent is remote
    if parent is not None and parent.is_remote:
        flags |= 0x200
    tree = {
        'traceId': id_bytes(ctx.trace_id, 16),
        'spanId': id_bytes(ctx.span_id, 8),
        'traceState': ctx.trace_state.to_header() if ctx.trace_state else '',
        'parentSpanId': id_bytes(parent.span_id, 8) if parent is not None else b'',
        'name': span.name,
        'kind': span.kind.value + 1,  # the API's INTERNAL is 0, OTLP's SPAN_KIND_INTERNAL is 1
        'startTimeUnixNano': span.start_time or 0,
        'endTimeUnixNano': span.end_time or 0,
        'attributes': attributes(span.attributes),
        'droppedAttributesCount': dropped(span, 'dropped_attributes'),
        'events': [
            {
                'timeUnixNano': e.timestamp,
                'name': e.name,
                'attributes': attributes(e.attributes),
                'droppedAttributesCount': dropped(e, 'dropped_attributes'),
            }
            for e in span.events
        ],
        'droppedEventsCount': dropped(span, 'dropped_events'),
        'links': [_link_tree(link) for link in span.links],
        'droppedLinksCount': dropped(span, 'dropped_links'),
        'flags': flags,
    }
    status = span.status
    if status is not None and (status.status_code.value or status.description):
        tree['status'] = {'code': status.status_code.value, 'message': status.description or ''}
    return tree


def _link_tree(link):
    ctx = link.context
    return {
        'traceId': id_bytes(ctx.trace_id, 16),
        'spanId': id_bytes(ctx.span_id, 8),
        'traceState': ctx.trace_state.to_header() if ctx.trace_state else '',
        'attributes': attributes(link.attributes),
        'droppedAttributesCount': dropped(link, 'dropped_attributes'),
        'flags': int(ctx.trace_flags) | 0x100 | (0x200 if ctx.is_remote else 0),
    }


def traces_request(spans):
    resource_spans = []
    for resource, scopes in group(spans, lambda s: s.resource, lambda s: s.instrumentation_scope):
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
