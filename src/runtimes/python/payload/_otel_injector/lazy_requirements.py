"""`opentelemetry.instrumentation.dependencies` (imported by every instrumentor) imports
`packaging.requirements` at its top: packaging's tokenizer, parser, markers, specifiers and tags, ~15 ms
at the first instrumented import, for a version check that instrument(skip_dep_check=True) skips
whenever our manifest already knows the app's library version fits (instrument.apply).

load() imports that module from our zip itself, with that one import deferred: its names `Requirement`
and `InvalidRequirement` start as stand-ins, and the first use of `Requirement` (a call or an
isinstance; every `except InvalidRequirement` of the module follows a call of `Requirement(...)`)
imports the real `packaging.requirements` (the app's own packaging if it has one: sys.path order)
and puts the real names in the module. Nothing is put in sys.modules under packaging's names.
The module stays as it is imported normally when packaging.requirements is imported already, or when
the module is not ours (the app has its own opentelemetry-instrumentation).

load_semconv() does the same for `opentelemetry.instrumentation._semconv` (imported by every HTTP
instrumentor) and its `from packaging import version as package_version` (~2 ms on 3.10), used only by
`_get_schema_url_for_signal_types` (the database instrumentations call it): `package_version` starts as
a stand-in whose first attribute read imports `packaging.version` and puts the real module in its place."""

import sys

MODULE = '_otel_injector_vendor.opentelemetry.instrumentation.dependencies'
TARGET = 'packaging.requirements'
SEMCONV = '_otel_injector_vendor.opentelemetry.instrumentation._semconv'
VERSION = 'packaging.version'


def load(payload_dir):
    """True when the module was loaded here (with the deferred import)."""
    return _load(MODULE, TARGET, payload_dir, _builtins)


def load_semconv(payload_dir):
    """True when _semconv was loaded here (with packaging.version deferred)."""
    return _load(SEMCONV, VERSION, payload_dir, _version_builtins)


def _module_lock(name):
    """The import system's own per-module lock (what a normal import holds while the module runs), so
    another thread importing the same name waits for it instead of seeing it half-initialized (the
    metrics timer thread imports _semconv too)."""
    try:
        from importlib import _bootstrap

        return _bootstrap._ModuleLockManager(name)
    except Exception:
        import contextlib

        return contextlib.nullcontext()


def _load(name, target, payload_dir, make_builtins):
    if name in sys.modules or target in sys.modules:
        return False
    with _module_lock(name):
        if name in sys.modules:
            return False
        return _load_locked(name, payload_dir, make_builtins)


def _load_locked(name, payload_dir, make_builtins):
    import importlib.util

    spec = importlib.util.find_spec(name)
    origin = getattr(spec, 'origin', None) or ''
    if spec is None or spec.loader is None or not origin.startswith(payload_dir):
        return False
    code = spec.loader.get_code(name)
    module = importlib.util.module_from_spec(spec)
    namespace = module.__dict__
    namespace['__builtins__'] = make_builtins(namespace)
    spec._initializing = True  # as importlib does: importers in other threads wait on the module lock
    sys.modules[name] = module
    try:
        exec(code, namespace)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        spec._initializing = False
    parent = sys.modules.get(name.rpartition('.')[0])
    if parent is not None:
        setattr(parent, name.rpartition('.')[2], module)
    return True


def _builtins(namespace):
    """The builtins of the module: the real ones, with an __import__ that answers
    `from packaging.requirements import ...` with the stand-ins while the real module is not
    imported."""
    import builtins

    def resolve():
        from packaging.requirements import InvalidRequirement, Requirement

        namespace['Requirement'], namespace['InvalidRequirement'] = Requirement, InvalidRequirement
        return Requirement

    class _Deferred(type):
        def __call__(cls, *args, **kwargs):
            return resolve()(*args, **kwargs)

        def __instancecheck__(cls, obj):
            return isinstance(obj, resolve())

        def __subclasscheck__(cls, sub):
            return issubclass(sub, resolve())

    class Requirement(metaclass=_Deferred):
        pass

    class InvalidRequirement(ValueError):
        """Replaced by packaging's own at the first use of Requirement."""

    class StandIn:
        pass

    stand_in = StandIn()
    stand_in.Requirement, stand_in.InvalidRequirement = Requirement, InvalidRequirement

    def deferring_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == TARGET and level == 0 and fromlist and TARGET not in sys.modules:
            return stand_in
        return builtins.__import__(name, globals, locals, fromlist, level)

    table = dict(vars(builtins))
    table['__import__'] = deferring_import
    return table


def _version_builtins(namespace):
    """The real builtins with an __import__ that answers `from packaging import version` with a
    stand-in while packaging.version is not imported."""
    import builtins

    class _DeferredVersion:
        def __getattr__(self, attr):
            import packaging.version as real

            namespace['package_version'] = real
            return getattr(real, attr)

    class StandIn:
        pass

    stand_in = StandIn()
    stand_in.version = _DeferredVersion()

    def deferring_import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == 'packaging' and level == 0 and tuple(fromlist or ()) == ('version',) and VERSION not in sys.modules:
            return stand_in
        return builtins.__import__(name, globals, locals, fromlist, level)

    table = dict(vars(builtins))
    table['__import__'] = deferring_import
    return table
