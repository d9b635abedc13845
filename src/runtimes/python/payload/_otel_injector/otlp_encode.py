"""OTLP encoding without the `protobuf` package: SDK data -> a neutral tree of dicts (OTLP/JSON field
names; otlp_trees, otlp_traces, otlp_metrics, otlp_logs) -> protobuf wire format or OTLP/JSON (here),
driven by one schema table (otlp_schema).

Proto3 rules kept: a scalar with its default value (0, '', b'', False) is not written, except fields
that belong to a oneof or are `optional` (marked `presence`), which are written whenever set."""

import base64
import json
import struct

from .otlp_logs import logs_request
from .otlp_metrics import metrics_request
from .otlp_schema import SCHEMA
from .otlp_traces import traces_request
from .otlp_trees import any_value, attributes

# the request builders, as callers use them: otlp_encode.traces_request(...) etc.
__all__ = [
    'SCHEMA',
    'any_value',
    'attributes',
    'encode',
    'encode_json',
    'logs_request',
    'metrics_request',
    'to_json_tree',
    'traces_request',
]

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
