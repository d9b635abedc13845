"""The vendored OpenTelemetry: the SDK's packages renamed under _otel_injector_vendor so an app's own copy is
never shadowed, imports rewritten, and the manifest of what was vendored. Part of build_lib.py's build."""

import os
import re

from build_common import VENDOR

# ---- vendoring -----------------------------------------------------------------------------------
_FROM_IMPORT = re.compile(r'^(?P<lead>[ \t]*(?:from[ \t]+))opentelemetry(?=[.\s])', re.M)
# `import opentelemetry.x.y` (also `import a, opentelemetry.x`): the bound name stays `opentelemetry`
# (now our vendored package) so that dotted uses in the module keep working
_IMPORT = re.compile(
    r'^(?P<lead>[ \t]*)import[ \t]+(?P<what>opentelemetry(?:\.\w+)*)(?P<alias>[ \t]+as[ \t]+\w+)?[ \t]*$', re.M
)
_STRING = re.compile(r'(?P<q>["\'])(?P<mod>opentelemetry(?:\.\w+)+)(?P=q)')


def _rewrite(text, modules):
    text = _FROM_IMPORT.sub(lambda m: m.group('lead') + VENDOR + '.opentelemetry', text)

    def imp(m):
        if m.group('alias'):
            return '%simport %s.%s%s' % (m.group('lead'), VENDOR, m.group('what'), m.group('alias'))
        return '%simport %s.%s; from %s import opentelemetry' % (m.group('lead'), VENDOR, m.group('what'), VENDOR)

    text = _IMPORT.sub(imp, text)

    def string(m):
        mod = m.group('mod')
        # a module path of ours in a string (Django's middleware path, warnings filters): the vendored one
        head = mod
        while head and head not in modules:
            head = head.rpartition('.')[0]
        return m.group(0) if not head else m.group('q') + VENDOR + '.' + mod + m.group('q')

    return _STRING.sub(string, text)


def vendor(target):
    """Moves target/opentelemetry/ to target/VENDOR/opentelemetry/ and rewrites every import of
    `opentelemetry` in it (and module paths in strings) to the vendored name. Fails when one is left."""
    src = os.path.join(target, 'opentelemetry')
    root = os.path.join(target, VENDOR)
    os.makedirs(root)
    with open(os.path.join(root, '__init__.py'), 'w') as f:
        f.write('"""OpenTelemetry Python, vendored by otel-injector under a private name."""\n')
    os.rename(src, os.path.join(root, 'opentelemetry'))
    files = []
    modules = set()
    for dirpath, _, filenames in os.walk(os.path.join(root, 'opentelemetry')):
        rel = os.path.relpath(dirpath, root).replace(os.sep, '.')
        modules.add(rel)
        for f in filenames:
            if f.endswith('.py'):
                files.append(os.path.join(dirpath, f))
                modules.add(rel if f == '__init__.py' else rel + '.' + f[:-3])
    rewritten = 0
    for path in sorted(files):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        new = _rewrite(text, modules)
        if new != text:
            rewritten += 1
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
        left = re.findall(r'^[ \t]*(?:from|import)[ \t]+opentelemetry\b.*$', new, re.M)
        if left:
            raise SystemExit('build_lib: %s still imports opentelemetry: %s' % (path, left[0]))
    patch_vendored(root)
    return {'package': VENDOR, 'files': len(files), 'rewritten': rewritten}


def patch_vendored(root):
    """FastAPI >= 0.16x switches its built-in telemetry off only when the middleware stack's type has
    __module__ 'opentelemetry.instrumentation.asgi' (the contrib middleware): ours keeps that name."""
    asgi = os.path.join(root, 'opentelemetry', 'instrumentation', 'asgi', '__init__.py')
    if os.path.exists(asgi):
        with open(asgi, 'a', encoding='utf-8') as f:
            f.write("\n\nOpenTelemetryMiddleware.__module__ = 'opentelemetry.instrumentation.asgi'  # otel-injector\n")


def vendor_manifest(info):
    """Entry points name modules: the vendored ones."""

    def fix(value):
        return VENDOR + '.' + value if value.startswith('opentelemetry.') else value

    for group in info['entry_points'].values():
        for name in group:
            group[name] = fix(group[name])
    for inst in info['instrumentations'].values():
        inst['entry_point'] = fix(inst['entry_point'])
