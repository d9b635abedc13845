"""The standard OTEL_* variables (and ours), parsed once from an env mapping. No I/O, no imports of
the SDK: the bootstrap decides with this whether to start at all."""

from urllib.parse import unquote

SIGNALS = ('traces', 'metrics', 'logs')
DEFAULT_ENDPOINT = 'http://localhost:4318'
PROTOCOLS = ('http/protobuf', 'http/json')


class StepAside(Exception):
    """A reason not to instrument this process (the message is the line's reason)."""


def _truthy(value):
    return (value or '').strip().lower() == 'true'


def _ms(env, name, default):
    raw = (env.get(name) or '').strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def parse_kv_list(raw):
    """`k1=v1,k2=v2` (W3C-baggage-like, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES):
    keys and values trimmed and percent-decoded; an entry without `=` or with an empty key is skipped."""
    out = {}
    for part in (raw or '').split(','):
        if '=' not in part:
            continue
        key, _, value = part.partition('=')
        key = unquote(key.strip())
        if key:
            out[key] = unquote(value.strip())
    return out


def disabled_instrumentations(env):
    raw = env.get('OTEL_PYTHON_DISABLED_INSTRUMENTATIONS') or ''
    return {n.strip().lower().replace('_', '-') for n in raw.split(',') if n.strip()}


def _signal_endpoint(env, signal):
    own = (env.get('OTEL_EXPORTER_OTLP_%s_ENDPOINT' % signal.upper()) or '').strip()
    if own:
        return own  # used as is (the spec: no path appended)
    base = (env.get('OTEL_EXPORTER_OTLP_ENDPOINT') or '').strip() or DEFAULT_ENDPOINT
    return base.rstrip('/') + '/v1/' + signal


def _signal_value(env, name, signal, default=''):
    own = env.get('OTEL_EXPORTER_OTLP_%s_%s' % (signal.upper(), name))
    if own is not None and own.strip():
        return own.strip()
    generic = env.get('OTEL_EXPORTER_OTLP_%s' % name)
    if generic is not None and generic.strip():
        return generic.strip()
    return default


def exporter_config(env, signal):
    """What our OTLP exporter for one signal needs. Raises StepAside for what we cannot export."""
    endpoint = _signal_endpoint(env, signal)
    if not (endpoint.startswith('http://') or endpoint.startswith('https://')):
        raise StepAside('OTLP endpoint %r for %s is not an http(s) URL' % (endpoint, signal))
    protocol = _signal_value(env, 'PROTOCOL', signal, 'http/protobuf').lower()
    if protocol not in PROTOCOLS:
        raise StepAside('OTLP protocol %r for %s is not supported (http/protobuf or http/json)' % (protocol, signal))
    compression = _signal_value(env, 'COMPRESSION', signal, 'none').lower()
    headers = parse_kv_list(env.get('OTEL_EXPORTER_OTLP_HEADERS'))
    headers.update(parse_kv_list(env.get('OTEL_EXPORTER_OTLP_%s_HEADERS' % signal.upper())))
    return {
        'signal': signal,
        'endpoint': endpoint,
        'protocol': protocol,
        'headers': headers,
        'compression': 'gzip' if compression == 'gzip' else 'none',
        # The spec's unit is milliseconds (default 10 s).
        'timeout_s': _ms({'x': _signal_value(env, 'TIMEOUT', signal)}, 'x', 10000.0) / 1000.0,
        'certificate': _signal_value(env, 'CERTIFICATE', signal) or None,
        'client_certificate': _signal_value(env, 'CLIENT_CERTIFICATE', signal) or None,
        'client_key': _signal_value(env, 'CLIENT_KEY', signal) or None,
    }


def exporters_wanted(env):
    """signal -> True when that signal is exported over OTLP (OTEL_<SIGNAL>_EXPORTER, default otlp)."""
    out = {}
    for signal in SIGNALS:
        names = [n.strip().lower() for n in (env.get('OTEL_%s_EXPORTER' % signal.upper()) or 'otlp').split(',')]
        out[signal] = 'otlp' in names
    return out


def parse(env):
    """The whole configuration, or raises StepAside. Returns None when OTEL_SDK_DISABLED=true."""
    if _truthy(env.get('OTEL_SDK_DISABLED')):
        return None
    wanted = exporters_wanted(env)
    exporters = {s: exporter_config(env, s) for s in SIGNALS if wanted[s]}
    return {
        'exporters': exporters,
        'disabled': disabled_instrumentations(env),
        'shutdown_timeout_s': _ms(env, 'OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS', 1000.0) / 1000.0,
        'metric_interval_ms': _ms(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60000.0),
        'metric_temporality': (env.get('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE') or 'cumulative')
        .strip()
        .lower(),
        'service_name': (env.get('OTEL_SERVICE_NAME') or '').strip(),
        'resource_attributes': parse_kv_list(env.get('OTEL_RESOURCE_ATTRIBUTES')),
    }
