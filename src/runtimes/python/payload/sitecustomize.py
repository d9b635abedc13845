# otel-injector: Python entry point. PYTHONPATH=<mount>/python makes Python's `site` import this file
# at every interpreter start in the container. It must stay valid syntax for every Python (2.7 and
# 3.x: no f-strings, no annotations, no walrus) and never let anything escape: whatever happens,
# the app starts as it would without us, and the image's own `sitecustomize` (the next one on
# sys.path after this directory) still runs.


def _otel_injector_say(line):
    try:
        import sys

        sys.stderr.write('otel-injector: python: ' + line + '\n')
        sys.stderr.flush()
    except BaseException:
        pass


def _otel_injector_start():
    try:
        import sys

        if sys.version_info[0] != 3 or sys.version_info[1] < 9:
            _otel_injector_say(
                'not instrumented: Python %d.%d is older than the supported 3.9'
                % (sys.version_info[0], sys.version_info[1])
            )
            return
        import os

        if (os.environ.get('OTEL_SDK_DISABLED') or '').strip().lower() == 'true':
            return  # nothing at all, not even our package is imported
        import _otel_injector.bootstrap

        _otel_injector.bootstrap.start()
    except BaseException:
        try:
            import sys

            e = sys.exc_info()[1]
            _otel_injector_say('not instrumented: start failed: %s: %s' % (type(e).__name__, e))
        except BaseException:
            pass


def _otel_injector_chain():
    """Runs the image's own sitecustomize: the first one on sys.path after this directory."""
    try:
        import os
        import sys

        here = os.path.dirname(os.path.abspath(__file__))
        rest = []
        seen = False
        for entry in list(sys.path):
            try:
                same = os.path.abspath(entry or os.curdir) == here
            except BaseException:
                same = False
            if same:
                seen = True
            elif seen:
                rest.append(entry)
        if not seen:
            return
        me = sys.modules.get('sitecustomize')
        if sys.version_info[0] >= 3 and sys.version_info[1] >= 4:
            import importlib.machinery
            import importlib.util

            spec = importlib.machinery.PathFinder.find_spec('sitecustomize', rest)
            if spec is None or spec.loader is None:
                return
            module = importlib.util.module_from_spec(spec)
            sys.modules['sitecustomize'] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                if me is not None:
                    sys.modules['sitecustomize'] = me
                raise
        else:
            import imp

            try:
                found = imp.find_module('sitecustomize', rest)
            except ImportError:
                return
            del sys.modules['sitecustomize']
            try:
                imp.load_module('sitecustomize', *found)
            finally:
                if found[0] is not None:
                    found[0].close()
    except BaseException:
        # What Python's own `site` does when a sitecustomize fails: print and go on.
        try:
            import sys
            import traceback

            e = sys.exc_info()[1]
            if isinstance(e, ImportError):
                _otel_injector_say("the image's own sitecustomize failed: %s" % (e,))
            else:
                sys.stderr.write('Error in sitecustomize; set PYTHONVERBOSE for traceback:\n')
                sys.stderr.write('%s: %s\n' % (type(e).__name__, e))
                if getattr(sys.flags, 'verbose', 0):
                    traceback.print_exc()
        except BaseException:
            pass


try:
    _otel_injector_start()
finally:
    _otel_injector_chain()
