"""Stands in for `opentelemetry.util._importlib_metadata` so that OpenTelemetry's own entry points
(runtime context, propagators) come from our manifest instead of an importlib.metadata scan of the
app's whole environment (tens of ms on a large virtualenv). A lookup the manifest cannot answer (a
propagator the app installed itself, error-handler plugins) falls back to the real scan, and every
other name of the module (version, Distribution, ...) is the real importlib.metadata one, imported
only when first used."""

import sys
import types

from .conflicts import normalize

MODULE = '_otel_injector_vendor.opentelemetry.util._importlib_metadata'


class EntryPoint:
    def __init__(self, name, value, group):
        self.name, self.value, self.group = name, value, group

    @property
    def module(self):
        return self.value.split(':')[0].strip()

    @property
    def attr(self):
        return self.value.split(':', 1)[1].strip() if ':' in self.value else None

    def load(self):
        import importlib

        obj = importlib.import_module(self.module)
        for part in (self.attr or '').split('.'):
            if part:
                obj = getattr(obj, part)
        return obj

    def __repr__(self):
        return 'EntryPoint(name=%r, value=%r, group=%r)' % (self.name, self.value, self.group)


class EntryPoints(tuple):
    @property
    def names(self):
        return {ep.name for ep in self}

    @property
    def groups(self):
        return {ep.group for ep in self}

    def select(self, **params):
        return EntryPoints(ep for ep in self if all(getattr(ep, k) == v for k, v in params.items()))

    def __getitem__(self, name):
        if isinstance(name, str):
            for ep in self:
                if ep.name == name:
                    return ep
            raise KeyError(name)
        return tuple.__getitem__(self, name)


def _backend():
    if sys.version_info >= (3, 10):
        import importlib.metadata as backend
    else:
        import importlib_metadata as backend
    return backend


def make_module(manifest_entry_points, manifest_dists=None):
    """A module object to put in sys.modules[MODULE] before anything of OpenTelemetry is imported."""
    mod = types.ModuleType(MODULE)
    mod.__doc__ = __doc__
    known = {
        g: EntryPoints(EntryPoint(n, v, g) for n, v in sorted(eps.items()))
        for g, eps in (manifest_entry_points or {}).items()
    }
    cache = {}

    def real_entry_points():
        if 'all' not in cache:
            eps = _backend().entry_points()
            if isinstance(eps, dict):  # 3.9/3.10/3.11 SelectableGroups
                eps = [ep for group in dict.values(eps) for ep in group]
            cache['all'] = list(eps)
        return cache['all']

    def entry_points(**params):
        group, name = params.get('group'), params.get('name')
        if group in known and set(params) <= {'group', 'name'}:
            found = known[group] if name is None else known[group].select(name=name)
            if found:
                return found
        return EntryPoints(ep for ep in real_entry_points() if all(getattr(ep, k) == v for k, v in params.items()))

    otel_versions = {n: d['version'] for n, d in (manifest_dists or {}).items() if n.startswith('opentelemetry-')}

    def version(distribution_name):
        # opentelemetry-* ones from the manifest (the SDK 1.41 asks for its own version at import);
        # the conflict check guarantees the app has none of them at another version
        known = otel_versions.get(normalize(distribution_name))
        return known if known is not None else _backend().version(distribution_name)

    def requires(distribution_name):
        return _backend().requires(distribution_name)

    def distributions(**kwargs):
        return _backend().distributions(**kwargs)

    def __getattr__(attr):
        if attr in ('Distribution', 'EntryPoint', 'EntryPoints', 'PackageNotFoundError'):
            value = getattr(_backend(), attr)
            setattr(mod, attr, value)
            return value
        raise AttributeError('module %r has no attribute %r' % (MODULE, attr))

    mod.entry_points = entry_points
    # functions that modules import at their top (the SDK's resources imports `version`): wrappers, so
    # that importlib.metadata is imported when one is called, not when it is imported
    mod.version, mod.requires, mod.distributions = version, requires, distributions
    mod.__getattr__ = __getattr__
    mod.__all__ = [
        'Distribution',
        'EntryPoint',
        'EntryPoints',
        'PackageNotFoundError',
        'distributions',
        'entry_points',
        'requires',
        'version',
    ]
    mod._otel_injector = True
    return mod


def install(manifest_entry_points, manifest_dists=None):
    if MODULE not in sys.modules:
        sys.modules[MODULE] = make_module(manifest_entry_points, manifest_dists)
