"""build_lib.py verify: the built zip imported back by the interpreter it is for, alone (run with -I -S)."""

import json
import os
import sys
import zipfile

from build_common import DIST_INFO, VENDOR, _metadata_field, normalize, tag
from build_native import native_tag

# ---- verify -------------------------------------------------------------------------------------
PROBE_MODULES = [
    VENDOR + '.opentelemetry.trace',
    VENDOR + '.opentelemetry.sdk.trace',
    VENDOR + '.opentelemetry.sdk.trace.export',
    VENDOR + '.opentelemetry.sdk.metrics',
    VENDOR + '.opentelemetry.sdk.metrics.export',
    VENDOR + '.opentelemetry.sdk._logs',
    VENDOR + '.opentelemetry.sdk.resources',
    VENDOR + '.opentelemetry.propagate',
    VENDOR + '.opentelemetry.instrumentation.asgi',
    VENDOR + '.opentelemetry.instrumentation.wsgi',
    VENDOR + '.opentelemetry.instrumentation.dbapi',
    'wrapt',
    'packaging.version',
]


def verify(args):
    """Run with -I -S: every .pyc of lib/cp3X.zip loads in this interpreter, the SDK and each instrumentor
    import from the zip alone (an instrumentor whose library is absent may fail on that library only),
    wrapt runs without its C extension, every dist's METADATA is in DIST_INFO/ at the manifest's version
    and importlib.metadata sees none of them, and psutil imports from native/<this platform>."""
    import importlib
    import zipimport
    from importlib import metadata

    args.out = os.path.abspath(args.out)
    zip_path = os.path.join(args.out, 'lib', tag() + '.zip')
    with open(os.path.join(args.out, 'lib', tag() + '.json')) as f:
        info = json.load(f)
    sys.path.append(zip_path)
    if os.path.isdir(os.path.join(args.out, '_otel_injector')):
        # OpenTelemetry's entry points (runtime context, propagators) from the manifest, as at run time:
        # importlib.metadata does not see the zip's dists
        sys.path.insert(0, args.out)
        from _otel_injector import entry_points

        entry_points.install(info.get('entry_points'), info.get('dists'))
        del sys.path[0]
    with zipfile.ZipFile(zip_path) as z:
        names = [n for n in z.namelist() if n.endswith('.pyc')]
    for n in names:  # magic number and marshal format of this interpreter
        d, _, base = n.rpartition('/')
        zipimport.zipimporter(zip_path + '/' + d if d else zip_path).get_code(base[:-4])
    ours = {n.split('/')[0].replace('.pyc', '') for n in names}
    probes = [(m, False) for m in PROBE_MODULES] + [
        (v['entry_point'].split(':')[0], True) for v in info['instrumentations'].values()
    ]
    imported = 0
    for name, may_lack_library in probes:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if may_lack_library and (e.name or '').split('.')[0] not in ours:
                continue
            raise
        if not getattr(mod, '__file__', '').startswith(zip_path + '/'):
            raise SystemExit('verify: %s came from %s, not the zip' % (name, getattr(mod, '__file__', None)))
        imported += 1
    if 'wrapt._wrappers' in sys.modules:
        raise SystemExit('verify: wrapt loaded its C extension')
    leaked = sorted(m for m in sys.modules if m == 'opentelemetry' or m.startswith('opentelemetry.'))
    if leaked:
        raise SystemExit('verify: the vendored tree imported the plain name: %s' % ', '.join(leaked[:5]))
    try:
        importlib.import_module('opentelemetry')
    except ImportError:
        pass
    else:
        raise SystemExit('verify: the zip still has a top-level opentelemetry package')
    seen = sorted(d.metadata['Name'] for d in metadata.distributions(path=[zip_path]))
    if seen:
        raise SystemExit('verify: importlib.metadata sees dists in the zip: %s' % ', '.join(seen))
    with zipfile.ZipFile(zip_path) as z:
        versions = {}
        for n in z.namelist():
            parts = n.split('/')
            if len(parts) == 3 and parts[0] == DIST_INFO and parts[2] == 'METADATA':
                text = z.read(n).decode('utf-8')
                versions[normalize(_metadata_field(text, 'Name'))] = _metadata_field(text, 'Version')
    for name, d in info['dists'].items():
        if name not in info.get('native', {}) and versions.get(name) != d['version']:
            raise SystemExit('verify: %s/ has %s %s, manifest %s' % (DIST_INFO, name, versions.get(name), d['version']))
    native = os.path.join(args.out, 'native', native_tag())
    extra = ''
    if os.path.isdir(native):
        sys.path.append(native)
        import psutil

        if not psutil.__file__.startswith(native + '/'):
            raise SystemExit('verify: psutil came from %s' % psutil.__file__)
        psutil.Process().memory_info()
        stale = [
            m
            for m in list(sys.modules.values())
            if getattr(m, '__name__', '').startswith('psutil')
            and getattr(m, '__file__', '').endswith('.py')
            and not os.path.exists(getattr(m.__spec__, 'cached', None) or '/nonexistent')
        ]
        if stale:
            raise SystemExit(
                'verify: psutil modules without a .pyc for this interpreter: %s' % ', '.join(m.__name__ for m in stale)
            )
        extra = ', psutil from native/' + native_tag() + ' (precompiled)'
    if os.path.exists(os.path.join(args.out, 'sitecustomize.py')):
        import importlib.util

        boot = [os.path.join(args.out, 'sitecustomize.py')] + [
            os.path.join(args.out, '_otel_injector', f)
            for f in os.listdir(os.path.join(args.out, '_otel_injector'))
            if f.endswith('.py')
        ]
        missing = [p for p in boot if not os.path.exists(importlib.util.cache_from_source(p))]
        if missing:
            raise SystemExit('verify: no .pyc of this interpreter for %s' % ', '.join(missing))
        extra += ', bootstrap precompiled'
    print(
        '%d .pyc load, %d/%d modules import without their libraries, %d dists in %s/, none seen by importlib.metadata%s'
        % (len(names), imported, len(probes), len(versions), DIST_INFO, extra)
    )
