"""The global LoggerProvider until a log record needs the logs SDK (~10 ms of imports at every start
otherwise). The first get_logger (our logging bridge's first record, or an app using the logs API)
builds the SDK's LoggerProvider, inline, and from then on it is the one in the API's global slot.
Nothing is emitted before a logger exists, so nothing is lost."""

import threading

from _otel_injector_vendor.opentelemetry._logs import LoggerProvider, NoOpLogger

from . import fork


class LazyLoggerProvider(LoggerProvider):
    """build() -> the SDK's LoggerProvider; on_real(provider) is called once it exists."""

    def __init__(self, build, on_real):
        self._build, self._on_real = build, on_real
        self._real = None
        self._closed = False
        self._lock = threading.RLock()

    def materialize(self):
        if self._real is not None or self._closed:
            return self._real
        with fork.guard(), self._lock:
            if self._real is None and not self._closed:
                real = self._build()
                self._real = real
                self._on_real(real)
        return self._real

    def get_logger(self, name, version=None, schema_url=None, attributes=None, *args, **kwargs):
        real = self.materialize()
        if real is None:
            return NoOpLogger(name, version=version, schema_url=schema_url)
        return real.get_logger(name, version=version, schema_url=schema_url, attributes=attributes)

    def after_fork(self):
        """In a forked child: a lock another thread of the parent held is not held here (the SDK's
        provider, if built, has its own after-fork reset, sdk_classes)."""
        fork.relock(self)

    def force_flush(self, timeout_millis=30000):
        real = self._real
        return real.force_flush(timeout_millis) if real is not None else True

    def shutdown(self):
        with self._lock:
            self._closed = True
        if self._real is not None:
            self._real.shutdown()

    def __getattr__(self, attr):
        # what the SDK's LoggerProvider has and this one has not (add_log_record_processor, ...)
        if attr.startswith('__') or attr in ('_build', '_on_real', '_real', '_closed', '_lock'):
            raise AttributeError(attr)
        real = self.materialize()
        if real is None:
            raise AttributeError(attr)
        return getattr(real, attr)
