"""The buffer of lazy_metrics: the measurements recorded before the metrics SDK exists (bounded by
MAX_PENDING) and the proxy meter and instruments that keep them. The instruments are the API's own
proxies, with only their recording method replaced: while the real instrument does not exist yet the
measurement (with its context) is buffered, and LazyMeterProvider replays it once the SDK is built."""

import threading

from _otel_injector_vendor.opentelemetry.metrics._internal import _ProxyMeter
from _otel_injector_vendor.opentelemetry.metrics._internal import instrument as _api

from . import fork

_notice = fork.notice
MAX_PENDING = 4096  # measurements buffered before the SDK is loaded inline to take them

_pending = {'items': [], 'open': True, 'provider': None}
_lock = threading.Lock()


def _put(instrument, method, amount, attributes, context):
    """Buffers one measurement; False when the caller must record it itself (the real instrument
    exists now or the buffer is closed)."""
    with _lock:
        if _pending['open'] and instrument._real_instrument is None:
            if len(_pending['items']) < MAX_PENDING:
                if context is None:
                    context = _current_context()
                _pending['items'].append((instrument, method, amount, attributes, context))
                return True
            provider = _pending['provider']
        else:
            return False
    if provider is not None:
        provider.materialize()  # the buffer is full: load the SDK now, in this thread
    return False


def _current_context():
    """The context of the measurement (the SDK's exemplars take the span from it), as the SDK would
    have read it at record time."""
    try:
        from _otel_injector_vendor.opentelemetry.context import get_current

        return get_current()
    except Exception:
        return None


class _Counter(_api._ProxyCounter):
    def add(self, amount, attributes=None, context=None):
        _notice()
        if self._real_instrument is None and _put(self, 'add', amount, attributes, context):
            return
        _api._ProxyCounter.add(self, amount, attributes, context)


class _UpDownCounter(_api._ProxyUpDownCounter):
    def add(self, amount, attributes=None, context=None):
        _notice()
        if self._real_instrument is None and _put(self, 'add', amount, attributes, context):
            return
        _api._ProxyUpDownCounter.add(self, amount, attributes, context)


class _Histogram(_api._ProxyHistogram):
    def record(self, amount, attributes=None, context=None):
        _notice()
        if self._real_instrument is None and _put(self, 'record', amount, attributes, context):
            return
        _api._ProxyHistogram.record(self, amount, attributes, context)


_BUFFERING = {_api._ProxyCounter: _Counter, _api._ProxyUpDownCounter: _UpDownCounter, _api._ProxyHistogram: _Histogram}
if hasattr(_api, '_ProxyGauge'):

    class _Gauge(_api._ProxyGauge):
        def set(self, amount, attributes=None, context=None):
            _notice()
            if self._real_instrument is None and _put(self, 'set', amount, attributes, context):
                return
            _api._ProxyGauge.set(self, amount, attributes, context)

    _BUFFERING[_api._ProxyGauge] = _Gauge


def _buffering(instrument):
    cls = _BUFFERING.get(type(instrument))
    if cls is not None:
        instrument.__class__ = cls  # same layout: only the recording method differs
    return instrument


class Meter(_ProxyMeter):
    """The API's proxy meter, whose instruments stay proxies also once the SDK exists (the API's hands out
    the SDK's own then): after a fork every instrument an instrumentation holds can be pointed at the
    child's new SDK (after_fork)."""

    _attributes = None  # the scope attributes asked for (the API's proxy meter drops them)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._binding = threading.RLock()  # the real meter is not swapped while an instrument is made

    def on_set_meter_provider(self, meter_provider):
        if meter_provider is None:
            with self._binding:
                self._real_meter = None
                for instrument in list(self._instruments):
                    instrument._real_instrument = None
            return
        if self._attributes is None:
            real = meter_provider.get_meter(self._name, self._version, self._schema_url)
        else:
            real = meter_provider.get_meter(self._name, self._version, self._schema_url, self._attributes)
        with self._binding:
            with self._lock:
                self._real_meter = real
                for instrument in self._instruments:
                    instrument.on_meter_set(real)

    def _proxy(self, create, *args, **kwargs):
        with self._binding:
            real, self._real_meter = self._real_meter, None
            try:
                instrument = create(self, *args, **kwargs)  # a proxy, registered in self._instruments
            finally:
                self._real_meter = real
            if real is not None:
                instrument.on_meter_set(real)
        return _buffering(instrument)

    def create_counter(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_counter, *args, **kwargs)

    def create_up_down_counter(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_up_down_counter, *args, **kwargs)

    def create_histogram(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_histogram, *args, **kwargs)

    def create_gauge(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_gauge, *args, **kwargs)

    def create_observable_counter(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_observable_counter, *args, **kwargs)

    def create_observable_up_down_counter(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_observable_up_down_counter, *args, **kwargs)

    def create_observable_gauge(self, *args, **kwargs):
        return self._proxy(_ProxyMeter.create_observable_gauge, *args, **kwargs)

    def after_fork(self):
        fork.relock(self)  # _lock, _binding
        self.on_set_meter_provider(None)


def set_provider(provider):
    _pending['provider'] = provider


def has_items():
    return bool(_pending['items'])


def close():
    """Drops what is buffered and buffers no more (the SDK failed or the provider was shut down)."""
    with _lock:
        _pending['items'], _pending['open'] = [], False


def take():
    """What was buffered, in order; buffers no more (the SDK's instruments take measurements now)."""
    with _lock:
        items, _pending['items'], _pending['open'] = _pending['items'], [], False
    return items


def after_fork(open_):
    """In a forked child: the buffer starts empty (open unless the provider was closed), under a new lock."""
    global _lock
    _lock = fork.fresh_lock(_lock)
    _pending['items'], _pending['open'] = [], open_


def is_buffering(instrument):
    return type(instrument) in _BUFFERING.values()
