"""The global MeterProvider until the metrics SDK is needed: importing the SDK's metrics (aggregations,
exemplars, exponential histograms, views: ~20-30 ms) at every interpreter start would be most of our
start cost, and nothing needs it before the first measurement is exported.

LazyMeterProvider is the API's own proxy provider (so meters and instruments it hands out become the
SDK's real ones in place, the way the API does it when a provider is set late) whose synchronous
instruments keep the measurements recorded before that (bounded) and replay them into the real
instruments: nothing recorded is lost. The SDK's MeterProvider is built ("materialized") at the first
of: the first export interval (a timer; that collection is done right away, so exports keep their
schedule), MAX_PENDING buffered measurements (inline, in the recording thread), a flush (exit,
signal, step-aside) that has something to export, or any attribute of the SDK provider an app asks
the global provider for. We stay in the API's global slot, forwarding to the SDK's provider, and every
meter and instrument we hand out stays our proxy: in a forked child they are detached from the parent's
SDK and start over (after_fork)."""

import threading
import time

from _otel_injector_vendor.opentelemetry.metrics._internal import _ProxyMeter, _ProxyMeterProvider
from _otel_injector_vendor.opentelemetry.metrics._internal import instrument as _api

from . import fork, messages

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


class _Meter(_ProxyMeter):
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


class LazyMeterProvider(_ProxyMeterProvider):
    """build(for_flush) -> the SDK's MeterProvider; on_real(provider) is called once it exists (under
    no lock of ours). for_flush(): True while a flush is under way (no reader thread then)."""

    def __init__(self, build, on_real, for_flush, interval_s, stepped_aside=lambda: False):
        super().__init__()
        self._build, self._on_real, self._for_flush = build, on_real, for_flush
        # after a step-aside (the app's own SDK takes over, importing the same modules in its thread at the
        # same time) a failed build only loses what we buffered before it: no line
        self._stepped_aside = stepped_aside
        self._materialize_lock = threading.RLock()
        self._closed = False
        self._interval_s = interval_s
        self._timer = None
        _pending['provider'] = self

    def get_meter(self, name, version=None, schema_url=None, attributes=None, *args, **kwargs):
        """Always our proxy meter (bound to the SDK's at once when it exists)."""
        meter = _Meter(name, version=version, schema_url=schema_url)
        meter._attributes = attributes
        with self._lock:
            self._meters.append(meter)
            real = self._real_meter_provider
        if real is not None:
            meter.on_set_meter_provider(real)
        return meter

    # ---- when -----------------------------------------------------------------------------------
    def start_timer(self):
        """The first export interval (again in a forked child: after_fork)."""
        self._start_timer()

    def after_fork(self):
        """In a forked child (fork.on_child): metrics start over as in a new process. The parent's SDK
        provider, its reader and every point it accumulated stay behind (exported by the parent only);
        every proxy instrument is unbound and buffers until the child's own SDK is built, at the child's
        first export interval. Locks another thread of the parent held are replaced."""
        global _lock
        _lock = fork.fresh_lock(_lock)
        fork.relock(self)  # _lock, _materialize_lock
        _pending['items'], _pending['open'] = [], not self._closed
        self._real_meter_provider = None
        for meter in list(self._meters):
            try:
                meter.after_fork()
            except Exception:
                pass
        self._start_timer()

    def _start_timer(self):
        if self._closed or self._real_meter_provider is not None or self._interval_s is None:
            return
        timer = threading.Timer(self._interval_s, self._on_timer)
        timer.daemon = True
        timer.name = 'otel-injector-metrics-start'
        self._timer = timer
        with fork.quiet_threads():
            timer.start()

    def _on_timer(self):
        try:
            if self._real_meter_provider is None and not self._closed:
                self.materialize(collect_now=True)
        except Exception:
            pass

    def _worth_a_flush(self):
        """Something to export: a buffered measurement or an observable instrument (its callback)."""
        if _pending['items']:
            return True
        with self._lock:
            meters = list(self._meters)
        for meter in meters:
            for instrument in list(getattr(meter, '_instruments', ())):
                if type(instrument) not in _BUFFERING.values():
                    return True
        return False

    # ---- the SDK --------------------------------------------------------------------------------
    def materialize(self, collect_now=False):
        """Builds the SDK's provider once, hands it our meters, replays the buffer. Returns it (None
        once closed). Under fork.guard(): the SDK's import is never split by a fork."""
        with fork.guard(), self._materialize_lock:
            if self._real_meter_provider is not None or self._closed:
                return self._real_meter_provider
            try:
                real, reader = self._build_once_more_on_import_error()
            except Exception as e:
                # never into the app's thread (a measurement can build it): no metrics, one line, the rest runs
                self._closed = True
                with _lock:
                    _pending['items'], _pending['open'] = [], False
                if not self._stepped_aside():
                    messages.say('metrics not started: %s: %s' % (type(e).__name__, e), once_key='metrics-start')
                return None
            self.on_set_meter_provider(real)  # every proxy instrument gets its real one
            with _lock:
                items, _pending['items'], _pending['open'] = _pending['items'], [], False
            for instrument, method, amount, attributes, context in items:
                try:
                    getattr(instrument._real_instrument, method)(amount, attributes, context)
                except Exception:
                    pass
            if self._timer is not None:
                self._timer.cancel()
        self._on_real(real)
        if collect_now and reader is not None:
            reader.collect()  # what the first periodic collection would have exported now
        return real

    def _build_once_more_on_import_error(self):
        """The SDK's provider; an ImportError is tried once more: another thread importing the same modules
        in another order (the app's own SDK setup) can leave one of them half-initialized for us."""
        for attempt in (1, 2):
            try:
                with fork.quiet_threads():  # the reader's thread
                    return self._build(self._for_flush())
            except ImportError:
                if attempt == 2:
                    raise
                time.sleep(0.05)

    def force_flush(self, timeout_millis=10000):
        real = self._real_meter_provider
        if real is None:
            if self._closed or not self._worth_a_flush():
                return True
            real = self.materialize()
        return real.force_flush(timeout_millis) if real is not None else True

    def shutdown(self, timeout_millis=30000, **kwargs):
        with self._materialize_lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            with _lock:
                _pending['items'], _pending['open'] = [], False
        real = self._real_meter_provider
        if real is not None:
            real.shutdown(timeout_millis)

    def __getattr__(self, attr):
        # what the SDK's MeterProvider has and the proxy has not (an app that holds the global one)
        if attr.startswith('__') or attr in (
            '_build',
            '_on_real',
            '_for_flush',
            '_stepped_aside',
            '_materialize_lock',
            '_closed',
            '_interval_s',
            '_timer',
            '_real_meter_provider',
        ):
            raise AttributeError(attr)
        real = self.materialize()
        if real is None:
            raise AttributeError(attr)
        return getattr(real, attr)
