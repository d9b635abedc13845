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

from _otel_injector_vendor.opentelemetry.metrics._internal import _ProxyMeterProvider

from . import fork, messages, metrics_buffer

MAX_PENDING = metrics_buffer.MAX_PENDING  # measurements buffered before the SDK is loaded inline to take them


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
        metrics_buffer.set_provider(self)  # materialized inline when the buffer is full

    def get_meter(self, name, version=None, schema_url=None, attributes=None, *args, **kwargs):
        """Always our proxy meter (bound to the SDK's at once when it exists)."""
        meter = metrics_buffer.Meter(name, version=version, schema_url=schema_url)
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
        metrics_buffer.after_fork(not self._closed)
        fork.relock(self)  # _lock, _materialize_lock
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
        if metrics_buffer.has_items():
            return True
        with self._lock:
            meters = list(self._meters)
        for meter in meters:
            for instrument in list(getattr(meter, '_instruments', ())):
                if not metrics_buffer.is_buffering(instrument):
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
                metrics_buffer.close()
                if not self._stepped_aside():
                    messages.say('metrics not started: %s: %s' % (type(e).__name__, e), once_key='metrics-start')
                return None
            self.on_set_meter_provider(real)  # every proxy instrument gets its real one
            items = metrics_buffer.take()
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
            metrics_buffer.close()
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
