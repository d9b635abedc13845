"""The one greppable stderr line per event: `otel-injector: python: ...`."""

import sys

PREFIX = 'otel-injector: python: '
_said = set()


def say(message, once_key=None):
    """Writes one line to stderr; with once_key, at most once per process for that key."""
    if once_key is not None:
        if once_key in _said:
            return
        _said.add(once_key)
    try:
        sys.stderr.write(PREFIX + message + '\n')
        sys.stderr.flush()
    except Exception:
        pass


def not_instrumented(reason):
    say('not instrumented: ' + reason, once_key='not-instrumented')
