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
the module is not ours (the app has its own opentelemetry-instrumentation)."""
import sys

MODULE = 'opentelemetry.instrumentation.dependencies'
TARGET = 'packaging.requirements'


def load(payload_dir):
    """True when the module was loaded here (with the deferred import)."""
    if MODULE in sys.modules or TARGET in sys.modules:
        return False
    import importlib.util
    spec = importlib.util.find_spec(MODULE)
    origin = getattr(spec, 'origin', None) or ''
    if spec is None or spec.loader is None or not origin.startswith(payload_dir):
        return False
    code = spec.loader.get_code(MODULE)
    module = importlib.util.module_from_spec(spec)
    namespace = module.__dict__
    namespace['__builtins__'] = _builtins(namespace)
    sys.modules[MODULE] = module
    try:
        exec(code, namespace)
    except BaseException:
        sys.modules.pop(MODULE, None)
        raise
    parent = sys.modules.get(MODULE.rpartition('.')[0])
    if parent is not None:
        setattr(parent, MODULE.rpartition('.')[2], module)
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
