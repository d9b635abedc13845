"""Post-import hooks: `on_import(module, callback)` runs callback(module) right after that module's
code has finished executing (or at once when it is already imported), once. A meta path finder at
the front of sys.meta_path asks the other finders for the spec and wraps its loader's exec_module."""

import sys
import threading

_callbacks = {}
_lock = threading.RLock()
_finder = None


def _run(name, module):
    with _lock:
        callbacks = _callbacks.pop(name, [])
    for cb in callbacks:
        try:
            cb(module)
        except Exception:
            pass


class _Loader:
    def __init__(self, loader, name):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        create = getattr(self._loader, 'create_module', None)
        return create(spec) if create is not None else None

    def exec_module(self, module):
        try:
            self._loader.exec_module(module)
        finally:
            # restore the real loader for whoever looks at it later (importlib.reload, pkgutil...)
            try:
                if getattr(module, '__loader__', None) is self:
                    module.__loader__ = self._loader
                spec = getattr(module, '__spec__', None)
                if spec is not None and spec.loader is self:
                    spec.loader = self._loader
            except Exception:
                pass
        _run(self._name, sys.modules.get(self._name, module))

    def __getattr__(self, attr):
        return getattr(self._loader, attr)


class _Finder:
    def __init__(self):
        self._busy = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _callbacks:
            return None
        busy = getattr(self._busy, 'names', None)
        if busy is None:
            busy = self._busy.names = set()
        if fullname in busy:
            return None
        busy.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self:
                    continue
                find = getattr(finder, 'find_spec', None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            busy.discard(fullname)
        if spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return spec
        spec.loader = _Loader(spec.loader, fullname)
        return spec

    def invalidate_caches(self):
        pass


def on_import(name, callback):
    global _finder
    module = sys.modules.get(name)
    if module is not None and getattr(getattr(module, '__spec__', None), '_initializing', False) is False:
        callback(module)
        return
    with _lock:
        _callbacks.setdefault(name, []).append(callback)
        if _finder is None:
            _finder = _Finder()
            sys.meta_path.insert(0, _finder)


def after_fork():
    """In a forked child: the lock, in case another thread of the parent held it at the fork."""
    global _lock
    _lock = threading.RLock()


def clear():
    """Drops every pending hook (step-aside)."""
    with _lock:
        _callbacks.clear()
