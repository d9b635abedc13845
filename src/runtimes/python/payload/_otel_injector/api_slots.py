"""The global provider slots of our vendored OpenTelemetry API (set_tracer_provider & co.): the app's own SDK
setting a provider there is watched (watch), and at a step-aside the slots holding ours are freed (free).
Holds no state: what is ours and what a step-aside does belong to providers.py."""

import importlib

SLOTS = {
    # signal: (module, setter, once attribute, provider attribute)
    'tracer': (
        '_otel_injector_vendor.opentelemetry.trace',
        'set_tracer_provider',
        '_TRACER_PROVIDER_SET_ONCE',
        '_TRACER_PROVIDER',
    ),
    'meter': (
        '_otel_injector_vendor.opentelemetry.metrics._internal',
        'set_meter_provider',
        '_METER_PROVIDER_SET_ONCE',
        '_METER_PROVIDER',
    ),
    'logger': (
        '_otel_injector_vendor.opentelemetry._logs._internal',
        'set_logger_provider',
        '_LOGGER_PROVIDER_SET_ONCE',
        '_LOGGER_PROVIDER',
    ),
}
_PUBLIC = {
    'meter': '_otel_injector_vendor.opentelemetry.metrics',
    'logger': '_otel_injector_vendor.opentelemetry._logs',
}
KIND = {'tracer': 'TracerProvider', 'meter': 'MeterProvider', 'logger': 'LoggerProvider'}


def watch(on_set):
    """Wraps each setter: on_set(signal, provider) runs before the original setter does."""
    for key, (module_name, setter, _, _) in SLOTS.items():
        module = importlib.import_module(module_name)
        original = getattr(module, setter)
        wrapper = _make_setter(key, original, on_set)
        setattr(module, setter, wrapper)
        public = _PUBLIC.get(key)
        if public is not None:
            setattr(importlib.import_module(public), setter, wrapper)


def _make_setter(key, original, on_set):
    def set_provider(provider):
        on_set(key, provider)
        return original(provider)

    set_provider.__wrapped__ = original
    set_provider.__doc__ = original.__doc__
    return set_provider


def free(signals, is_ours):
    """Empties the slots of these signals that hold a provider of ours (is_ours), so that the app's own
    set_*_provider call succeeds."""
    from _otel_injector_vendor.opentelemetry.util._once import Once

    for key, (module_name, _, once_attr, provider_attr) in SLOTS.items():
        if key not in signals:
            continue
        module = importlib.import_module(module_name)
        if is_ours(getattr(module, provider_attr, None)):
            setattr(module, once_attr, Once())
            setattr(module, provider_attr, None)
