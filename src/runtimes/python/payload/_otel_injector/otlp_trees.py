"""SDK objects -> OTLP trees (dicts with OTLP/JSON field names, see otlp_encode): what traces, metrics
and logs share (attribute values, resource, scope, ids, grouping by resource and scope)."""


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


def id_bytes(n, size):
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


def dropped(obj, name):
    return int(getattr(obj, name, 0) or 0)


def group(items, resource_of, scope_of):
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
