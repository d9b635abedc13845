"""SIGTERM / SIGINT / atexit: a bounded flush, then the exit the process would have had without us.

SIGTERM (default disposition): flush, restore the previous disposition, re-raise the signal: the
process dies by SIGTERM as it would have. SIGINT (Python's default_int_handler): flush, then hand over
to the previous handler (KeyboardInterrupt as usual). A server that installs its own handler (uvicorn,
gunicorn) saves ours and, when it re-raises after its graceful stop, ours flushes then.
A disposition the image set to SIG_IGN, or a handler already installed, is left alone."""
import atexit
import os
import signal
import threading

_state = {'flush': None, 'installed': {}}


def _flush():
    flush = _state['flush']
    if flush is not None:
        try:
            flush()
        except Exception:
            pass


def _handler(signum, frame):
    previous = _state['installed'].get(signum)
    _flush()
    if signum == signal.SIGTERM or previous in (signal.SIG_DFL, None):
        try:
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        except (ValueError, OSError, TypeError):
            pass
        if previous in (signal.SIG_DFL, None):
            os.kill(os.getpid(), signum)
            return
    if callable(previous):
        previous(signum, frame)


def install(flush):
    """flush(): a bounded force-flush of every provider."""
    _state['flush'] = flush
    atexit.register(_flush)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            current = signal.getsignal(signum)
        except (ValueError, OSError):
            continue
        if current in (signal.SIG_DFL, signal.default_int_handler):
            _state['installed'][signum] = current
            try:
                signal.signal(signum, _handler)
            except (ValueError, OSError):
                _state['installed'].pop(signum, None)


def uninstall():
    """Puts back what we replaced, where ours is still the installed handler."""
    _state['flush'] = None
    for signum, previous in list(_state['installed'].items()):
        try:
            if signal.getsignal(signum) is _handler:
                signal.signal(signum, previous)
        except (ValueError, OSError):
            pass
    _state['installed'].clear()
