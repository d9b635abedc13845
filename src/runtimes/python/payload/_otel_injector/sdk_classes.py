"""The SDK classes we build our providers from: the SDK's own (apps that check isinstance or add a
processor or reader to the global provider keep working), changed in two ways.

- Gated tracers: after the app installed its own provider, ours record nothing and pass the incoming
  context through (so the app's spans keep their parents).
- Fork: the SDK's after-fork handler of each provider re-runs resource detection in the child, through a
  ThreadPoolExecutor (it hung gunicorn's workers forever, fork.py says why). Ours only gives the provider
  fresh locks: fork.py rewrites the one shared Resource in place. A metric reader of ours starts no
  thread in a child: metrics start over there with a new SDK (lazy_metrics), the parent's reader and its
  accumulated points stay behind."""

from . import fork

VENDOR_PREFIX = '_otel_injector_vendor.'


def _scope(args, kwargs, key):
    """The instrumentations name their scope with __name__: the upstream name, not the vendored one."""
    if args and isinstance(args[0], str) and args[0].startswith(VENDOR_PREFIX):
        args = (args[0][len(VENDOR_PREFIX) :],) + tuple(args[1:])
    name = kwargs.get(key)
    if isinstance(name, str) and name.startswith(VENDOR_PREFIX):
        kwargs = dict(kwargs, **{key: name[len(VENDOR_PREFIX) :]})
    return args, kwargs


def tracer_provider_class(gate_open):
    """gate_open() -> False once the app's own SDK took over."""
    from _otel_injector_vendor.opentelemetry import trace
    from _otel_injector_vendor.opentelemetry.sdk.trace import TracerProvider

    class GatedTracer(trace.Tracer):
        """Our SDK's tracer while we export; afterwards a pass-through that records nothing."""

        def __init__(self, inner):
            self._inner = inner

        def start_span(self, name, context=None, *args, **kwargs):
            fork.notice()
            if gate_open():
                return self._inner.start_span(name, context, *args, **kwargs)
            return trace.NonRecordingSpan(trace.get_current_span(context).get_span_context())

        def start_as_current_span(self, name, context=None, *args, **kwargs):
            fork.notice()
            if gate_open():
                return self._inner.start_as_current_span(name, context, *args, **kwargs)
            span = trace.NonRecordingSpan(trace.get_current_span(context).get_span_context())
            return trace.use_span(span, end_on_exit=False)

        def __getattr__(self, attr):
            return getattr(self._inner, attr)

    class GatedTracerProvider(TracerProvider):
        def get_tracer(self, *args, **kwargs):
            args, kwargs = _scope(args, kwargs, 'instrumenting_module_name')
            return GatedTracer(super().get_tracer(*args, **kwargs))

        def _handle_fork(self):
            fork.relock(self)
            fork.relock(getattr(self, '_active_span_processor', None))

    return GatedTracerProvider


def meter_provider_class():
    from _otel_injector_vendor.opentelemetry.sdk.metrics import MeterProvider

    class ForkSafeMeterProvider(MeterProvider):
        def get_meter(self, *args, **kwargs):
            args, kwargs = _scope(args, kwargs, 'name')
            return super().get_meter(*args, **kwargs)

        def _handle_fork(self):
            fork.relock(self)
            if '_all_metric_readers_lock' in vars(MeterProvider):  # class-wide, as the SDK resets it
                MeterProvider._all_metric_readers_lock = fork.fresh_lock(MeterProvider._all_metric_readers_lock)

    return ForkSafeMeterProvider


def metric_reader_class():
    from _otel_injector_vendor.opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    class ParentOnlyReader(PeriodicExportingMetricReader):
        def _at_fork_reinit(self):
            pass  # the child builds its own SDK; this reader's points are the parent's

    return ParentOnlyReader


def logger_provider_class():
    from _otel_injector_vendor.opentelemetry.sdk._logs import LoggerProvider

    class ForkSafeLoggerProvider(LoggerProvider):
        def _handle_fork(self):
            fork.relock(self)
            fork.relock(getattr(self, '_multi_log_record_processor', None))

    return ForkSafeLoggerProvider


def quiet_batch_threads():
    """The SDK's batch processors (spans, logs) start their worker thread again in a forked child, from
    their after-fork hook, which runs in the child's main thread with its signal mask: that thread could
    then take a process-directed SIGTERM, which Python handles only in the main thread, so a pool worker
    blocked in a semaphore (multiprocessing's queue.get) never saw it and never ended, and Pool.terminate()
    waited for it forever. Patched on the class before any processor registers its hook (the hook keeps
    the class's function): the thread starts with every asynchronous signal blocked, like ours."""
    try:
        from _otel_injector_vendor.opentelemetry.sdk._shared_internal import BatchProcessor
    except ImportError:
        return
    original = BatchProcessor._at_fork_reinit
    if getattr(original, 'otel_injector_quiet', False):
        return

    def _at_fork_reinit(self):
        with fork.quiet_threads():
            original(self)

    _at_fork_reinit.otel_injector_quiet = True
    BatchProcessor._at_fork_reinit = _at_fork_reinit
