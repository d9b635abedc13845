"""An app that applies its own installed instrumentor (e.g. HTTPXClientInstrumentor().instrument()) without
setting up an SDK records through our providers (the app's global ones are ours, bridge.py): ours for the same
library is removed first, so nothing is recorded twice, with one line. (FastAPIInstrumentor.instrument_app()
needs nothing: both copies mark the app object they instrumented with the same attribute.)"""

OURS = '_otel_injector_vendor.'


def watch(instrument, hooks, messages, stepped_aside):
    """Wraps the app's BaseInstrumentor.instrument once the app imports it (a post-import hook)."""

    def patch(module):
        base = getattr(module, 'BaseInstrumentor', None)
        original = getattr(base, 'instrument', None)
        if original is None or getattr(original, '_otel_injector', False):
            return

        def instrument_method(self, *args, **kwargs):
            try:
                if not stepped_aside():  # after a step-aside ours are removed already: nothing to say
                    _yield_to_app(type(self), instrument, messages)
            except Exception:
                pass
            return original(self, *args, **kwargs)

        instrument_method._otel_injector = True
        instrument_method.__wrapped__ = original
        instrument_method.__doc__ = original.__doc__
        base.instrument = instrument_method

    hooks.on_import('opentelemetry.instrumentation.instrumentor', patch)


def _yield_to_app(cls, instrument, messages):
    module = getattr(cls, '__module__', '') or ''
    if not module.startswith('opentelemetry.instrumentation.'):
        return
    for name, info in instrument.instrumentations().items():
        ours_module, _, ours_attr = info['entry_point'].partition(':')
        if ours_attr != cls.__name__ or not (OURS + module).startswith(ours_module):
            continue

        def is_ours_for_it(ours, ours_module=ours_module):
            return type(ours).__name__ == cls.__name__ and type(ours).__module__.startswith(ours_module)

        if not instrument.yield_to_app(name, is_ours_for_it):
            return
        dist = info.get('dist') or ''
        messages.say(
            '%s: the app applies its own %s %s; the injected one is not applied to it (no duplicate spans)'
            % (name, dist, instrument.app_version(dist, '?')),
            once_key='yielded-' + name,
        )
        return
