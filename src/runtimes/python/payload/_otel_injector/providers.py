"""Tracer/meter/logger providers with our exporters and the gate that lets the app's own SDK take over
(the bounded flush of them: flushing.py)."""

import threading
import time

from . import fork, messages, otlp_export, sdk_classes

state = {
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
}


def setup(cfg, resource_attrs):
    """Creates and registers the providers for the signals in cfg['exporters']."""
    from _otel_injector_vendor.opentelemetry.sdk.resources import Resource

    state['shutdown_timeout_s'] = cfg.get('shutdown_timeout_s', 1.0)
    fork.install()  # before any provider or processor: in a child, ours is the first after-fork hook
    resource_attrs = fork.identity(resource_attrs)
    resource = Resource(resource_attrs)
    fork.track_resource(resource, resource_attrs)
    exporters = cfg['exporters']
    if 'traces' in exporters:
        from _otel_injector_vendor.opentelemetry import trace
        from _otel_injector_vendor.opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider_class = sdk_classes.tracer_provider_class(lambda: state['gate_open'])
        sdk = provider_class(resource=resource, shutdown_on_exit=False)
        sdk_classes.quiet_batch_threads()
        with fork.quiet_threads():
            processor = BatchSpanProcessor(otlp_export.span_exporter(exporters['traces']))
        state['processors'].append(processor)
        sdk.add_span_processor(processor)
        state['tracer'] = sdk
        trace.set_tracer_provider(sdk)
    if 'metrics' in exporters:
        _setup_metrics(cfg, resource)
    if 'logs' in exporters:
        _setup_logs(cfg, resource)
    _watch_app_providers()
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
        state['reader'] = reader
        callback = state.get('before_first_collect')
        if callback is not None and not for_flush:
            _wrap_first_collect(reader, callback)
        provider = sdk_classes.meter_provider_class()(
            resource=resource, metric_readers=[reader], shutdown_on_exit=False
        )
        return provider, reader

    def on_real(real):
        # The lazy provider stays in the API's global slot: every meter and instrument it hands out is
        # its proxy, so that a forked child can start its metrics over (lazy_metrics.after_fork).
        state['meter'] = real

    def on_child():
        state['meter'] = lazy
        state.pop('reader', None)

    def for_flush():
        return bool(state.get('flushing') or state['stepped_aside'])

    interval_s = interval_ms / 1000.0 if 0 < interval_ms < float('inf') else None
    lazy = lazy_metrics.LazyMeterProvider(build, on_real, for_flush, interval_s, lambda: state['stepped_aside'])
    fork.on_child(lambda: (lazy.after_fork(), on_child()))
    state['meter'] = lazy
    state['meter_lazy'] = lazy
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
        state['processors'].append(processor)
        sdk.add_log_record_processor(processor)
        return sdk

    def on_real(real):
        state['logger'] = real
        for callback in state['on_real_logger']:
            callback(real)
        if not state['stepped_aside']:
            from _otel_injector_vendor.opentelemetry._logs import _internal

            if _internal._LOGGER_PROVIDER is lazy:
                _internal._LOGGER_PROVIDER = real

    lazy = lazy_logs.LazyLoggerProvider(build, on_real)
    fork.on_child(lazy.after_fork)
    state['logger'] = lazy
    state['logger_lazy'] = lazy
    _logs.set_logger_provider(lazy)


def _after_fork():
    """A child is not flushing because its parent was; its flush thread is its own. Where Python's fork
    hooks did not run (uWSGI), the batch processors' threads are started here, before the first record
    would start them from an app thread (fork.quiet_threads)."""
    state['flushing'] = False
    state['flush_thread'] = None
    state['early_deadline'] = None
    if fork.hooks_ran():
        return
    import os

    for processor in state['processors']:
        batch = getattr(processor, '_batch_processor', None)
        if batch is not None and getattr(batch, '_pid', None) != os.getpid():
            with fork.quiet_threads():
                batch._at_fork_reinit()


def _join_step_aside():
    """At exit after a step-aside: let our last flush finish, within the shutdown timeout."""
    t = state['shutdown_thread']
    if t is not None and t.is_alive():
        timeout_s = state['shutdown_timeout_s']
        otlp_export.shutdown_deadline(time.monotonic() + timeout_s)
        t.join(timeout_s)


def before_first_collect(callback):
    """Runs callback() once, right before the metric reader's first periodic collection (in the
    reader's thread, or the lazy provider's timer); not at all when the first collection is the final
    flush at exit or a signal."""
    if state['meter'] is None:
        return
    state['before_first_collect'] = callback
    reader = state.get('reader')
    if reader is not None:
        _wrap_first_collect(reader, callback)


def _wrap_first_collect(reader, callback):
    original = reader.collect

    def collect(*args, **kwargs):
        reader.collect = original
        if not state.get('flushing') and not state['stepped_aside']:
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
_SLOTS = {
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
_KIND = {'tracer': 'TracerProvider', 'meter': 'MeterProvider', 'logger': 'LoggerProvider'}


def _is_ours(provider):
    for key in ('tracer', 'meter', 'logger', 'meter_lazy', 'logger_lazy'):
        ours = state[key]
        if ours is not None and provider is ours:
            return True
    return False


def _watch_app_providers():
    import importlib

    for key, (module_name, setter, _, _) in _SLOTS.items():
        module = importlib.import_module(module_name)
        original = getattr(module, setter)
        wrapper = _make_setter(key, original)
        setattr(module, setter, wrapper)
        public = _PUBLIC.get(key)
        if public is not None:
            setattr(importlib.import_module(public), setter, wrapper)


def _make_setter(key, original):
    def set_provider(provider):
        if not state['stepped_aside'] and not _is_ours(provider):
            try:
                step_aside("the app sets its own OpenTelemetry %s; the app's SDK exports from now on" % _KIND[key])
            except Exception:
                pass
        return original(provider)

    set_provider.__wrapped__ = original
    set_provider.__doc__ = original.__doc__
    return set_provider


def step_aside(reason):
    """Stops everything of ours at run time and frees the global provider slots."""
    import importlib

    from _otel_injector_vendor.opentelemetry.util._once import Once

    state['stepped_aside'] = True
    state['gate_open'] = False
    for callback in state['on_step_aside']:
        try:
            callback()
        except Exception:
            pass
    for key, (module_name, _, once_attr, provider_attr) in _SLOTS.items():
        if state[key] is None:
            continue
        module = importlib.import_module(module_name)
        if _is_ours(getattr(module, provider_attr, None)):
            setattr(module, once_attr, Once())
            setattr(module, provider_attr, None)
    messages.not_instrumented(reason)
    ours = [state[k] for k in ('tracer', 'logger', 'meter') if state[k] is not None]

    def shutdown():
        for provider in ours:
            try:
                provider.force_flush(int(state['shutdown_timeout_s'] * 1000))
                provider.shutdown()
            except Exception:
                pass

    t = threading.Thread(target=shutdown, name='otel-injector-step-aside', daemon=True)
    with fork.quiet_threads():
        t.start()
    state['shutdown_thread'] = t
