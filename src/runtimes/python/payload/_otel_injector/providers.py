"""Tracer/meter/logger providers with our exporters and the gate that lets the app's own SDK take over
(the bounded flush of them: flushing.py).

This module alone writes _state: other modules read it and register their callbacks through the functions
below (tracer(), meter(), logger(), stepped_aside(), is_ours(), on_step_aside(), on_real_logger())."""

import threading
import time

from . import api_slots, fork, messages, otlp_export, sdk_classes

_state = {
    'tracer': None,
    'meter': None,
    'logger': None,
    'gate_open': True,
    'stepped_aside': False,
    'on_step_aside': [],
    'on_real_logger': [],
    'shutdown_thread': None,
    'shutdown_timeout_s': 3.0,
    'meter_lazy': None,
    'logger_lazy': None,
    'processors': [],
    'is_flushing': lambda: False,  # flushing.under_way, given to setup()
}


def tracer():
    """Our SDK TracerProvider, or None (no traces exporter)."""
    return _state['tracer']


def meter():
    """Our MeterProvider: the lazy one until the SDK's is built (then that one), or None."""
    return _state['meter']


def logger():
    """Our LoggerProvider: the lazy one until the SDK's is built (then that one), or None."""
    return _state['logger']


def meter_lazy():
    return _state['meter_lazy']


def logger_lazy():
    return _state['logger_lazy']


def stepped_aside():
    """True once step_aside() ran: the app's own SDK exports from then on."""
    return _state['stepped_aside']


def on_step_aside(callback):
    """callback() runs at a step-aside, before the global slots are freed (its exceptions are ignored)."""
    _state['on_step_aside'].append(callback)


def on_real_logger(callback):
    """callback(provider) runs when the logs SDK's LoggerProvider replaces the lazy one."""
    _state['on_real_logger'].append(callback)


def setup(cfg, resource_attrs, is_flushing=None):
    """Creates and registers the providers for the signals in cfg['exporters']. is_flushing(): True while
    the exit or signal flush is under way (flushing.under_way)."""
    from _otel_injector_vendor.opentelemetry.sdk.resources import Resource

    if is_flushing is not None:
        _state['is_flushing'] = is_flushing
    _state['shutdown_timeout_s'] = cfg.get('shutdown_timeout_s', 1.0)
    fork.install()  # before any provider or processor: in a child, ours is the first after-fork hook
    resource_attrs = fork.identity(resource_attrs)
    resource = Resource(resource_attrs)
    fork.track_resource(resource, resource_attrs)
    exporters = cfg['exporters']
    if 'traces' in exporters:
        from _otel_injector_vendor.opentelemetry import trace
        from _otel_injector_vendor.opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider_class = sdk_classes.tracer_provider_class(lambda: _state['gate_open'])
        sdk = provider_class(resource=resource, shutdown_on_exit=False)
        sdk_classes.quiet_batch_threads()
        with fork.quiet_threads():
            processor = BatchSpanProcessor(otlp_export.span_exporter(exporters['traces']))
        _state['processors'].append(processor)
        sdk.add_span_processor(processor)
        _state['tracer'] = sdk
        trace.set_tracer_provider(sdk)
    if 'metrics' in exporters:
        _setup_metrics(cfg, resource)
    if 'logs' in exporters:
        _setup_logs(cfg, resource)
    api_slots.watch(_on_app_provider)
    fork.on_child(_after_fork)
    import atexit

    atexit.register(_join_step_aside)


def _setup_metrics(cfg, resource):
    """The metrics SDK is imported when first needed (lazy_metrics), not here."""
    from _otel_injector_vendor.opentelemetry import metrics

    from . import lazy_metrics

    exporter_cfg, temporality, interval_ms = (
        cfg['exporters']['metrics'],
        cfg['metric_temporality'],
        cfg['metric_interval_ms'],
    )

    def build(for_flush):
        # built for a flush (exit, signal, step-aside): no reader thread (CPython 3.12 cannot start
        # one at exit), the flush collects
        reader = sdk_classes.metric_reader_class()(
            otlp_export.metric_exporter(exporter_cfg, temporality),
            export_interval_millis=float('inf') if for_flush else interval_ms,
        )
        _state['reader'] = reader
        callback = _state.get('before_first_collect')
        if callback is not None and not for_flush:
            _wrap_first_collect(reader, callback)
        provider = sdk_classes.meter_provider_class()(
            resource=resource, metric_readers=[reader], shutdown_on_exit=False
        )
        return provider, reader

    def on_real(real):
        # The lazy provider stays in the API's global slot: every meter and instrument it hands out is
        # its proxy, so that a forked child can start its metrics over (lazy_metrics.after_fork).
        _state['meter'] = real

    def on_child():
        _state['meter'] = lazy
        _state.pop('reader', None)

    def for_flush():
        return bool(_state['is_flushing']() or _state['stepped_aside'])

    interval_s = interval_ms / 1000.0 if 0 < interval_ms < float('inf') else None
    lazy = lazy_metrics.LazyMeterProvider(build, on_real, for_flush, interval_s, lambda: _state['stepped_aside'])
    fork.on_child(lambda: (lazy.after_fork(), on_child()))
    _state['meter'] = lazy
    _state['meter_lazy'] = lazy
    metrics.set_meter_provider(lazy)
    lazy.start_timer()


def _setup_logs(cfg, resource):
    """The logs SDK is imported at the first get_logger (lazy_logs), not here."""
    from _otel_injector_vendor.opentelemetry import _logs

    from . import lazy_logs

    exporter_cfg = cfg['exporters']['logs']

    def build():
        from _otel_injector_vendor.opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        sdk = sdk_classes.logger_provider_class()(resource=resource, shutdown_on_exit=False)
        sdk_classes.quiet_batch_threads()
        with fork.quiet_threads():
            processor = BatchLogRecordProcessor(otlp_export.log_exporter(exporter_cfg))
        _state['processors'].append(processor)
        sdk.add_log_record_processor(processor)
        return sdk

    def on_real(real):
        _state['logger'] = real
        for callback in _state['on_real_logger']:
            callback(real)
        if not _state['stepped_aside']:
            from _otel_injector_vendor.opentelemetry._logs import _internal

            if _internal._LOGGER_PROVIDER is lazy:
                _internal._LOGGER_PROVIDER = real

    lazy = lazy_logs.LazyLoggerProvider(build, on_real)
    fork.on_child(lazy.after_fork)
    _state['logger'] = lazy
    _state['logger_lazy'] = lazy
    _logs.set_logger_provider(lazy)


def _after_fork():
    """Where Python's fork hooks did not run (uWSGI), the batch processors' threads are started here, before
    the first record would start them from an app thread (fork.quiet_threads). (That a child is not flushing
    because its parent was: flushing.after_fork.)"""
    if fork.hooks_ran():
        return
    import os

    for processor in _state['processors']:
        batch = getattr(processor, '_batch_processor', None)
        if batch is not None and getattr(batch, '_pid', None) != os.getpid():
            with fork.quiet_threads():
                batch._at_fork_reinit()


def _join_step_aside():
    """At exit after a step-aside: let our last flush finish, within the shutdown timeout."""
    t = _state['shutdown_thread']
    if t is not None and t.is_alive():
        timeout_s = _state['shutdown_timeout_s']
        otlp_export.shutdown_deadline(time.monotonic() + timeout_s)
        t.join(timeout_s)


def before_first_collect(callback):
    """Runs callback() once, right before the metric reader's first periodic collection (in the
    reader's thread, or the lazy provider's timer); not at all when the first collection is the final
    flush at exit or a signal."""
    if _state['meter'] is None:
        return
    _state['before_first_collect'] = callback
    reader = _state.get('reader')
    if reader is not None:
        _wrap_first_collect(reader, callback)


def _wrap_first_collect(reader, callback):
    original = reader.collect

    def collect(*args, **kwargs):
        reader.collect = original
        if not _state['is_flushing']() and not _state['stepped_aside']:
            try:
                with fork.guard():  # its imports (psutil, the instrumentation) are never split by a fork
                    callback()
            except Exception as e:
                messages.say(
                    'process/system metrics not started: %s: %s' % (type(e).__name__, e), once_key='system-metrics'
                )
        return original(*args, **kwargs)

    reader.collect = collect


# ---- the app's own SDK ------------------------------------------------------------------------------
def is_ours(provider):
    """True when provider is one of ours (the SDK's or the lazy one)."""
    for key in ('tracer', 'meter', 'logger', 'meter_lazy', 'logger_lazy'):
        ours = _state[key]
        if ours is not None and provider is ours:
            return True
    return False


def _on_app_provider(key, provider):
    if not _state['stepped_aside'] and not is_ours(provider):
        try:
            step_aside("the app sets its own OpenTelemetry %s; the app's SDK exports from now on" % api_slots.KIND[key])
        except Exception:
            pass


def step_aside(reason):
    """Stops everything of ours at run time and frees the global provider slots."""
    _state['stepped_aside'] = True
    _state['gate_open'] = False
    for callback in _state['on_step_aside']:
        try:
            callback()
        except Exception:
            pass
    api_slots.free([k for k in api_slots.SLOTS if _state[k] is not None], is_ours)
    messages.not_instrumented(reason)
    ours = [_state[k] for k in ('tracer', 'logger', 'meter') if _state[k] is not None]

    def shutdown():
        for provider in ours:
            try:
                provider.force_flush(int(_state['shutdown_timeout_s'] * 1000))
                provider.shutdown()
            except Exception:
                pass

    t = threading.Thread(target=shutdown, name='otel-injector-step-aside', daemon=True)
    with fork.quiet_threads():
        t.start()
    _state['shutdown_thread'] = t
