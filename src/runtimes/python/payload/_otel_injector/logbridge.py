"""stdlib `logging` records -> OTLP logs, without changing what the app prints: no handler is added
(a handler on the root logger would switch off `logging.lastResort` and change the app's output);
Logger.callHandlers is wrapped instead, so every record that passed the logger's level and filters is
also emitted to our LoggerProvider, with the current span's trace and span ids."""

import logging
import threading
import traceback

from . import fork

_state = {'provider': None, 'original': None}
_local = threading.local()
_SKIP = ('opentelemetry', '_otel_injector')
_RESERVED = frozenset(vars(logging.LogRecord('', 0, '', 0, '', (), None))) | {'message', 'asctime', 'taskName'}


def severity_number(levelno):
    """logging level -> OTel SeverityNumber value (DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21)."""
    if levelno <= 0:
        return 0
    if levelno < 10:
        return 1 + min(3, levelno // 3)
    base = {1: 5, 2: 9, 3: 13, 4: 17}.get(levelno // 10, 21)
    return base + min(3, (levelno % 10) // 3) if levelno < 50 else 21 + min(3, (levelno - 50) // 3)


_TEXT = {'WARNING': 'WARN', 'CRITICAL': 'FATAL'}


def _attributes(record):
    attrs = {}
    for k, v in vars(record).items():
        if k not in _RESERVED and isinstance(v, (str, bool, int, float)):
            attrs[k] = v
    attrs['code.file.path'] = record.pathname
    attrs['code.function.name'] = record.funcName
    attrs['code.line.number'] = record.lineno
    if record.exc_info and record.exc_info[0] is not None:
        exc_type, value, tb = record.exc_info
        attrs['exception.type'] = exc_type.__name__
        if value is not None and value.args:
            attrs['exception.message'] = str(value.args[0])
        if tb is not None:
            attrs['exception.stacktrace'] = ''.join(traceback.format_exception(exc_type, value, tb))
    return attrs


def _emit(record):
    provider = _state['provider']
    if provider is None or record.name.startswith(_SKIP):
        return
    fork.notice()
    if not record.args and not isinstance(record.msg, str):
        body = record.msg if isinstance(record.msg, (bool, int, float, bytes, list, tuple, dict)) else str(record.msg)
    else:
        body = record.getMessage()
    LogRecord, SeverityNumber, get_current = _api()
    otel = LogRecord(
        timestamp=int(record.created * 1e9),
        context=get_current(),
        severity_text=_TEXT.get(record.levelname, record.levelname),
        severity_number=SeverityNumber(severity_number(record.levelno)),
        body=body,
        attributes=_attributes(record),
    )
    provider.get_logger(record.name or 'root').emit(otel)


_API = []


def _api():
    if not _API:
        from _otel_injector_vendor.opentelemetry._logs import LogRecord, SeverityNumber
        from _otel_injector_vendor.opentelemetry.context import get_current

        _API.append((LogRecord, SeverityNumber, get_current))
    return _API[0]


def _call_handlers(self, record):
    original = _state['original']
    try:
        return original(self, record)
    finally:
        if _state['provider'] is not None and not getattr(_local, 'busy', False):
            _local.busy = True
            try:
                _emit(record)
            except Exception:
                pass
            finally:
                _local.busy = False


def install(logger_provider):
    if _state['original'] is None:
        _state['original'] = logging.Logger.callHandlers
        logging.Logger.callHandlers = _call_handlers
    _state['provider'] = logger_provider


def replace_provider(provider):
    """The SDK's LoggerProvider replaces the lazy one (lazy_logs) we were installed with."""
    if _state['provider'] is not None:
        _state['provider'] = provider


def uninstall():
    _state['provider'] = None
    if _state['original'] is not None and logging.Logger.callHandlers is _call_handlers:
        logging.Logger.callHandlers = _state['original']
        _state['original'] = None
