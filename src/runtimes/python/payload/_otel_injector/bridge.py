"""The app's own OpenTelemetry API, bridged to our vendored SDK (docs/python.md, "An app that carries
OpenTelemetry").

Ours is `_otel_injector_vendor.opentelemetry` (API + SDK + instrumentations); the app's `opentelemetry`
stays its own installed copy, whatever its version. When the app has opentelemetry-api installed:

- prepare() (before our SDK exists): imports the app's API and checks every name the bridge uses; then
  our context module uses the app's runtime context object (one ContextVar), and our span, baggage and
  suppression keys are the app's (keys are `name-<uuid>`: two copies never match by themselves).
- attach() (after our providers exist): our current-span lookup accepts the app's span types (a span the
  app's own propagator extracted becomes one of ours), our Span is a virtual subclass of the app's (its
  get_current_span() sees our server span), the app's global tracer and meter providers are ours (its
  manual spans are children of our spans, its instruments export through our SDK), and the app's
  setters are watched: a provider of the app's own (its SDK set up) steps us aside, with one line
  naming the app's SDK version.
"""

import importlib
import sys

# (the app's module, the name the bridge uses)
NEEDED = (
    ('opentelemetry.context', '_RUNTIME_CONTEXT'),
    ('opentelemetry.trace.propagation', '_SPAN_KEY'),
    ('opentelemetry.trace', 'Span'),
    ('opentelemetry.trace', 'set_tracer_provider'),
    ('opentelemetry.trace', '_TRACER_PROVIDER_SET_ONCE'),
    ('opentelemetry.baggage', '_BAGGAGE_KEY'),
    ('opentelemetry.metrics._internal', 'set_meter_provider'),
    ('opentelemetry.metrics._internal', '_METER_PROVIDER_SET_ONCE'),
)
OURS = '_otel_injector_vendor.'
_KIND = {'tracer': 'TracerProvider', 'meter': 'MeterProvider', 'logger': 'LoggerProvider'}
_SLOTS = {
    # signal: (the app's module, setter, once attribute, provider attribute, public module)
    'tracer': ('opentelemetry.trace', 'set_tracer_provider', '_TRACER_PROVIDER_SET_ONCE', '_TRACER_PROVIDER', None),
    'meter': (
        'opentelemetry.metrics._internal',
        'set_meter_provider',
        '_METER_PROVIDER_SET_ONCE',
        '_METER_PROVIDER',
        'opentelemetry.metrics',
    ),
    'logger': (
        'opentelemetry._logs._internal',
        'set_logger_provider',
        '_LOGGER_PROVIDER_SET_ONCE',
        '_LOGGER_PROVIDER',
        'opentelemetry._logs',
    ),
}
_state = {'active': False, 'app_versions': {}}  # written by prepare() alone


def active():
    """True once prepare() bridged the app's API to ours."""
    return _state['active']


class NotBridgeable(Exception):
    """The app's API lacks a name the bridge needs (a release newer than tested)."""


def prepare(app_dists):
    """Imports the app's API (its own files) and shares its context with ours. Raises NotBridgeable."""
    version = app_dists.get('opentelemetry-api', '?')
    for module_name, attr in NEEDED:
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise NotBridgeable(
                'opentelemetry-api %s in the app cannot be imported (%s: %s); the app would fail the same'
                % (version, type(e).__name__, e)
            ) from None
        if OURS in (getattr(module, '__name__', '') or ''):
            raise NotBridgeable("the app's opentelemetry resolved to ours")  # cannot happen: ours is private
        if not hasattr(module, attr):
            raise NotBridgeable(
                'opentelemetry-api %s in the app has no %s.%s, which the bridge needs (tested 1.25 to 1.45);'
                ' pin opentelemetry-api to a tested release' % (version, module_name, attr)
            )
    app_context = sys.modules['opentelemetry.context']
    from _otel_injector_vendor.opentelemetry import baggage as our_baggage
    from _otel_injector_vendor.opentelemetry import context as our_context
    from _otel_injector_vendor.opentelemetry.trace import propagation as our_propagation

    our_context._RUNTIME_CONTEXT = app_context._RUNTIME_CONTEXT
    for key in ('_SUPPRESS_INSTRUMENTATION_KEY', '_SUPPRESS_HTTP_INSTRUMENTATION_KEY'):
        if hasattr(app_context, key):
            setattr(our_context, key, getattr(app_context, key))
    our_baggage._BAGGAGE_KEY = sys.modules['opentelemetry.baggage']._BAGGAGE_KEY
    our_propagation._SPAN_KEY = sys.modules['opentelemetry.trace.propagation']._SPAN_KEY
    from _otel_injector_vendor.opentelemetry import trace as our_trace

    our_trace._SPAN_KEY = our_propagation._SPAN_KEY
    _state['app_versions'] = {n: v for n, v in app_dists.items() if n.startswith('opentelemetry-')}
    _state['active'] = True


def _convert(span, to):
    """A span whose span context is not of module `to`'s types, as a NonRecordingSpan of `to`'s types."""
    try:
        sc = span.get_span_context()
    except Exception:
        return to.INVALID_SPAN
    if isinstance(sc, to.SpanContext):
        return span
    if not getattr(sc, 'is_valid', False):
        return to.INVALID_SPAN
    items = list(sc.trace_state.items()) if getattr(sc, 'trace_state', None) else None
    return to.NonRecordingSpan(
        to.SpanContext(
            sc.trace_id,
            sc.span_id,
            bool(sc.is_remote),
            to.TraceFlags(int(sc.trace_flags)),
            to.TraceState(items) if items else None,
        )
    )


def _app_get_current_span(app_trace, app_propagation, stepped_aside):
    """The app's get_current_span: as the app's API has it while ours record (the app's code sees our real
    span: set_attribute on it works), and with our spans converted to the app's types once the app's SDK took
    over (its SDK checks isinstance(parent, SpanContext): one of our spans still current, e.g. the server span
    of the request in which the app set its provider, would make it raise)."""
    original = app_propagation.get_current_span

    def get_current_span(context=None):
        span = original(context)
        if stepped_aside():
            return _convert(span, app_trace)
        return span

    get_current_span.__wrapped__ = original
    get_current_span.__doc__ = original.__doc__
    return get_current_span


def attach(providers):
    """After providers.setup(): points the app's API at our providers and watches its setters."""
    if not _state['active']:
        return
    from _otel_injector_vendor.opentelemetry import context as our_context
    from _otel_injector_vendor.opentelemetry import trace as our_trace
    from _otel_injector_vendor.opentelemetry.trace import propagation as our_propagation

    app_trace = sys.modules['opentelemetry.trace']
    key = our_propagation._SPAN_KEY

    def get_current_span(context=None):
        span = our_context.get_value(key, context=context)
        if span is None:
            return our_trace.INVALID_SPAN
        if isinstance(span, our_trace.Span):
            return span
        return _convert(span, our_trace)  # a span of the app's types (its own propagator extracted it)

    our_propagation.get_current_span = our_trace.get_current_span = get_current_span
    app_trace.Span.register(our_trace.Span)
    app_propagation = sys.modules['opentelemetry.trace.propagation']
    app_get = _app_get_current_span(app_trace, app_propagation, providers.stepped_aside)
    if getattr(app_trace, 'get_current_span', None) is app_propagation.get_current_span:
        app_trace.get_current_span = app_get
    app_propagation.get_current_span = app_get
    if providers.tracer() is not None:
        _accept_app_status()
    for signal in _SLOTS:
        _watch(signal, providers)
    if providers.tracer() is not None:
        app_trace.set_tracer_provider(providers.tracer())
    lazy_meter = providers.meter_lazy()
    if lazy_meter is not None:
        sys.modules['opentelemetry.metrics._internal'].set_meter_provider(lazy_meter)
    providers.on_step_aside(lambda: _free_app_slots(providers))


def _accept_app_status():
    """The app's code calls set_status on our spans with its own Status / StatusCode types, which our SDK
    would ignore (it checks isinstance): they are converted by name."""
    from _otel_injector_vendor.opentelemetry.sdk import trace as our_sdk
    from _otel_injector_vendor.opentelemetry.trace.status import Status, StatusCode

    original = our_sdk.Span.set_status
    if getattr(original, '_otel_injector', False):
        return

    def set_status(self, status, description=None):
        if not isinstance(status, (Status, StatusCode)):
            code = getattr(status, 'status_code', status)
            name = getattr(code, 'name', None)
            if name in StatusCode.__members__:
                if code is status:
                    status = StatusCode[name]
                else:
                    status = Status(StatusCode[name], getattr(status, 'description', None))
        return original(self, status, description)

    set_status._otel_injector = True
    set_status.__wrapped__ = original
    set_status.__doc__ = original.__doc__
    our_sdk.Span.set_status = set_status


def _app_module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _watch(signal, providers):
    module_name, setter, _, _, public = _SLOTS[signal]
    module = _app_module(module_name)
    original = getattr(module, setter, None) if module is not None else None
    if original is None:
        return

    def set_provider(provider):
        if not providers.stepped_aside() and not providers.is_ours(provider):
            try:
                providers.step_aside(reason(signal))
            except Exception:
                pass
        return original(provider)

    set_provider.__wrapped__ = original
    set_provider.__doc__ = original.__doc__
    setattr(module, setter, set_provider)
    public_module = _app_module(public) if public else None
    if public_module is not None and getattr(public_module, setter, None) is original:
        setattr(public_module, setter, set_provider)


def reason(signal):
    versions = _state['app_versions']
    sdk = versions.get('opentelemetry-sdk')
    what = ('opentelemetry-sdk %s' % sdk) if sdk else ('opentelemetry-api %s' % versions.get('opentelemetry-api'))
    return "the app sets its own OpenTelemetry %s (%s in the app); the app's SDK exports from now on" % (
        _KIND[signal],
        what,
    )


def _free_app_slots(providers):
    """At a step-aside: the app's global slots that hold ours are freed, so the app's own call succeeds."""
    for module_name, _, once_attr, provider_attr, _ in _SLOTS.values():
        module = sys.modules.get(module_name)
        if module is None or not providers.is_ours(getattr(module, provider_attr, None)):
            continue
        once = getattr(module, once_attr, None)
        if once is not None:
            setattr(module, once_attr, type(once)())
        setattr(module, provider_attr, None)
