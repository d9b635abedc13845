"""Builds one CPython minor's part of the Python payload (docs/preload-python-build.md).

Run BY the interpreter the payload is for (the compiled .pyc are that interpreter's), with only the
standard library and pip:

  python3.X build_lib.py lib --requirements FILE --out DIR [--mount /otel-injector]
      pip install --target (binary wheels only, hashes checked when the file carries them), strip
      wrapt's C extension (its pure-Python fallback is used), take psutil out (it is the one binary
      package: shipped per platform under native/), write DIR/cp3X.json (the manifest) and compile
      everything to sourceless legacy .pyc (unchecked-hash), zipped deterministically to DIR/cp3X.zip.
  python3.X build_lib.py native --requirements FILE --out DIR
      pip download the psutil abi3 wheels for the four Linux platforms and unpack them to
      DIR/<tag>/ (tags: manylinux_x86_64, manylinux_aarch64, musllinux_x86_64, musllinux_aarch64).
  python3.X build_lib.py native-pyc --out PYTHON_DIR
      compiles PYTHON_DIR/native/*/psutil/*.py for this interpreter into __pycache__ (unchecked-hash):
      the app's uid cannot write there, so without them every start would compile psutil again.
  python3.X build_lib.py bootstrap-pyc --out PYTHON_DIR
      the same for PYTHON_DIR/sitecustomize.py and _otel_injector/ (shipped as source).
  python3.X -I -S build_lib.py verify --out PYTHON_DIR
      imports from PYTHON_DIR/lib/cp3X.zip (and native/) alone; see verify().

Every file is written with fixed timestamps and modes in sorted order: the same inputs give the same
zip. Prints one JSON line with what it built.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
NATIVE = 'psutil'
SHARED_TAG = 'manylinux_x86_64'  # holds the real copy of the files all platforms have in common
NATIVE_PLATFORMS = {
    'manylinux_x86_64': 'manylinux2014_x86_64',
    'manylinux_aarch64': 'manylinux2014_aarch64',
    'musllinux_x86_64': 'musllinux_1_2_x86_64',
    'musllinux_aarch64': 'musllinux_1_2_aarch64',
}
# psutil's modules for other operating systems (never imported on Linux).
OTHER_OS = re.compile(r'^psutil/_ps(sunos|windows|osx|bsd|aix)\.py$')
# dist-info files that still say something true once the sources are gone (RECORD lists .py files
# that no longer exist, INSTALLER/REQUESTED/direct_url describe this build machine's pip run).
DIST_INFO = 'dist-info'  # the zip's folder of our *.dist-info (no dot: not a dist-info, not importable)
KEEP_DIST_INFO = re.compile(r'^(METADATA|entry_points\.txt|top_level\.txt|LICEN[CS]E.*|NOTICE.*|licenses/.*)$')
# Our OpenTelemetry tree is shipped under this private package name (docs/python.md, "An app that carries
# OpenTelemetry"): an app's own `import opentelemetry` never finds ours, and ours never finds the app's.
VENDOR = '_otel_injector_vendor'
# The import name of a library when it differs from its distribution name (for the lazy hooks).
MODULE_OF_DIST = {'psycopg2-binary': 'psycopg2', 'psycopg-binary': 'psycopg', 'fastapi-slim': 'fastapi'}


def _metadata_field(text, key):
    """The value of a METADATA header field."""
    return re.search(r'^%s: (.+)$' % key, text, re.M).group(1).strip()


def normalize(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def run(cmd, env=None):
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:])
        raise SystemExit('build_lib: %s exited %d' % (' '.join(cmd[:6]), proc.returncode))
    return proc.stdout


def requirement_entries(path):
    """The requirement lines of a pip requirements file, continuation lines joined, comments dropped."""
    with open(path) as f:
        text = re.sub(r'\\\n', ' ', f.read())
    out = []
    for line in text.splitlines():
        line = line.split(' #', 1)[0].strip()
        if line and not line.startswith('#'):
            out.append(line)
    return out


def hash_flag(requirements):
    """--require-hashes when the file pins hashes (pip would switch to hash checking anyway; said out loud)."""
    with open(requirements) as f:
        return ['--require-hashes'] if '--hash=' in f.read() else []


def pip(*args):
    return [sys.executable, '-m', 'pip', '--disable-pip-version-check', '--no-input', *args]


os.environ.setdefault('PIP_ROOT_USER_ACTION', 'ignore')  # pip >= 22.1; older ones ignore it


def tag():
    return 'cp%d%d' % sys.version_info[:2]


# ---- manifest ---------------------------------------------------------------------------------
def manifest(target):
    sys.path.insert(0, target)
    try:
        from importlib import metadata

        from packaging.requirements import Requirement
    finally:
        sys.path.remove(target)
    dists = {}
    raw = {}
    for dist in metadata.distributions(path=[target]):
        name = normalize(dist.metadata['Name'])
        raw[name] = dist
    instrumentations = {}
    entry_points = {}
    for name in sorted(raw):
        dist = raw[name]
        requires = {}
        instruments = {}
        instruments_any = {}
        for spec in dist.requires or []:
            req = Requirement(spec)
            dep = normalize(req.name)
            if req.marker is None or req.marker.evaluate({'extra': ''}):
                if dep in raw:
                    requires[dep] = str(req.specifier)
            elif req.marker.evaluate({'extra': 'instruments'}):
                instruments[dep] = str(req.specifier)
            elif req.marker.evaluate({'extra': 'instruments-any'}):
                instruments_any[dep] = str(req.specifier)
        dists[name] = {'version': dist.version, 'requires': requires}
        for ep in dist.entry_points:
            if not ep.group.startswith('opentelemetry'):
                continue  # console_scripts: no bin/ in the payload
            entry_points.setdefault(ep.group, {})[ep.name] = ep.value
            if ep.group == 'opentelemetry_instrumentor':
                libs = dict(instruments, **instruments_any)
                instrumentations[ep.name] = {
                    'dist': name,
                    'entry_point': ep.value,
                    'instruments': instruments,
                    'instruments_any': instruments_any,
                    'modules': sorted({MODULE_OF_DIST.get(d, d.replace('-', '_')) for d in libs}),
                }
    return {
        'format': 1,
        'python': '%d.%d' % sys.version_info[:2],
        'zip': tag() + '.zip',
        'dists': dists,
        'entry_points': {g: dict(sorted(e.items())) for g, e in sorted(entry_points.items())},
        'instrumentations': dict(sorted(instrumentations.items())),
    }


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


# ---- lib ----------------------------------------------------------------------------------------
def prune(target):
    """Leaves only what is imported or read at run time: no scripts, stubs, tests or build leftovers."""
    shutil.rmtree(os.path.join(target, 'bin'), ignore_errors=True)
    for dirpath, dirnames, filenames in os.walk(target, topdown=True):
        rel = os.path.relpath(dirpath, target)
        in_dist_info = rel.split(os.sep)[0].endswith('.dist-info')
        for d in list(dirnames):
            if d in ('__pycache__', 'tests', 'test') or d.endswith('-stubs'):
                shutil.rmtree(os.path.join(dirpath, d))
                dirnames.remove(d)
        for f in filenames:
            path = os.path.join(dirpath, f)
            if in_dist_info:
                inner = os.path.relpath(path, os.path.join(target, rel.split(os.sep)[0])).replace(os.sep, '/')
                if not KEEP_DIST_INFO.match(inner):
                    os.remove(path)
            elif f.endswith(('.pyi', '.pyc', '.c', '.h', '.pyx', '.pxd')) or f == 'py.typed':
                os.remove(path)


def take_out_native(target):
    """psutil leaves the zip (native/ has it per platform); wrapt keeps only its pure-Python code."""
    for entry in os.listdir(target):
        if entry == NATIVE or re.match(r'^%s-[^-]+\.dist-info$' % NATIVE, entry):
            shutil.rmtree(os.path.join(target, entry))
    left = []
    for dirpath, _, filenames in os.walk(target):
        for f in filenames:
            if f.endswith(('.so', '.pyd', '.dylib')):
                if os.path.relpath(dirpath, target).split(os.sep)[0] == 'wrapt':
                    os.remove(os.path.join(dirpath, f))
                else:
                    left.append(os.path.relpath(os.path.join(dirpath, f), target))
    if left:
        raise SystemExit(
            'build_lib: binary files would land in the zip (zipimport cannot load them): %s' % ', '.join(sorted(left))
        )


def compile_sourceless(target, mount):
    """Legacy .pyc next to each .py (compileall -b), unchecked-hash, then the sources go."""
    ddir = '%s/python/lib/%s.zip' % (mount.rstrip('/'), tag())
    run(
        [
            sys.executable,
            '-m',
            'compileall',
            '-q',
            '-b',
            '-f',
            '-j',
            '0',
            '--invalidation-mode',
            'unchecked-hash',
            '-d',
            ddir,
            target,
        ]
    )
    for dirpath, dirnames, filenames in os.walk(target):
        for f in filenames:
            if f.endswith('.py'):
                if not os.path.exists(os.path.join(dirpath, f + 'c')):
                    raise SystemExit('build_lib: %s was not compiled' % os.path.join(dirpath, f))
                os.remove(os.path.join(dirpath, f))
        if '__pycache__' in dirnames:
            shutil.rmtree(os.path.join(dirpath, '__pycache__'))
            dirnames.remove('__pycache__')


def hide_dist_info(target):
    """Every *.dist-info moves under DIST_INFO/ (still shipped: licences, METADATA, entry points), out of
    what importlib.metadata scans on the zip's sys.path entry. Seen there, each of ours cost the app's
    first entry-point scan (pydantic makes one in every FastAPI app) a METADATA parse read through
    zipfile, the email package imported for it: 20-40 ms. Our own lookups use the manifest."""
    hidden = os.path.join(target, DIST_INFO)
    os.makedirs(hidden)
    for entry in sorted(os.listdir(target)):
        if entry.endswith(('.dist-info', '.egg-info')):
            os.rename(os.path.join(target, entry), os.path.join(hidden, entry))


def deterministic_zip(src, dest):
    """Sorted entries, a directory entry for each directory (namespace packages), fixed time and modes."""
    entries = []
    for dirpath, _dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src).replace(os.sep, '/')
        if rel != '.':
            entries.append((rel + '/', None))
        for f in filenames:
            entries.append(((f if rel == '.' else rel + '/' + f), os.path.join(dirpath, f)))
    entries.sort()
    tmp = dest + '.tmp'
    with zipfile.ZipFile(tmp, 'w') as z:
        for name, path in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.create_system = 3
            if path is None:
                info.external_attr = (0o40755 << 16) | 0x10
                z.writestr(info, b'')
            else:
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, 'rb') as f:
                    z.writestr(info, f.read(), compresslevel=9)
    os.replace(tmp, dest)
    return sum(1 for _, p in entries if p is not None)


def build_lib(args):
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix='otel-pylib-')
    try:
        target = os.path.join(work, 'target')
        run(
            pip(
                'install',
                '--quiet',
                '--target',
                target,
                '--only-binary=:all:',
                '--no-compile',
                '--no-warn-script-location',
                *hash_flag(args.requirements),
                '-r',
                args.requirements,
            )
        )
        info = manifest(target)
        native = normalize(NATIVE)
        if native in info['dists']:
            info['native'] = {native: {'version': info['dists'][native]['version'], 'tags': sorted(NATIVE_PLATFORMS)}}
        take_out_native(target)
        prune(target)
        info['vendored'] = vendor(target)
        vendor_manifest(info)
        compile_sourceless(target, args.mount)
        hide_dist_info(target)
        zip_path = os.path.join(args.out, tag() + '.zip')
        files = deterministic_zip(target, zip_path)
        with open(os.path.join(args.out, tag() + '.json'), 'w') as f:
            json.dump(info, f, indent=1, sort_keys=False)
            f.write('\n')
        print(
            json.dumps(
                {
                    'python': info['python'],
                    'zip': zip_path,
                    'bytes': os.path.getsize(zip_path),
                    'files': files,
                    'dists': len(info['dists']),
                }
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- native ------------------------------------------------------------------------------------
def build_native(args):
    entries = [
        e
        for e in requirement_entries(args.requirements)
        if normalize(re.split(r'[=<>!~ ;\[]', e, maxsplit=1)[0]) == NATIVE
    ]
    if len(entries) != 1 or '==' not in entries[0]:
        raise SystemExit('build_lib: %s must pin %s exactly once (==)' % (args.requirements, NATIVE))
    work = tempfile.mkdtemp(prefix='otel-pynative-')
    try:
        req = os.path.join(work, 'native.txt')
        with open(req, 'w') as f:
            f.write(entries[0] + '\n')
        out = {}
        for tag_name, platform in sorted(NATIVE_PLATFORMS.items()):
            wheels = os.path.join(work, tag_name)
            run(
                pip(
                    'download',
                    '--quiet',
                    '--no-deps',
                    '--only-binary=:all:',
                    *hash_flag(req),
                    '--platform',
                    platform,
                    '--implementation',
                    'cp',
                    '--abi',
                    'abi3',
                    '--python-version',
                    '3.9',
                    '-d',
                    wheels,
                    '-r',
                    req,
                )
            )
            (wheel,) = [w for w in os.listdir(wheels) if w.endswith('.whl')]
            dest = os.path.join(args.out, tag_name)
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            with zipfile.ZipFile(os.path.join(wheels, wheel)) as z:
                for member in sorted(z.namelist()):
                    top = member.split('/')[0]
                    inner = member.split('/', 1)[1] if '/' in member else ''
                    if top.endswith('.dist-info') and not KEEP_DIST_INFO.match(inner):
                        continue
                    if (
                        member.endswith('/')
                        or '/tests/' in member
                        or member.endswith(('.pyi', 'py.typed'))
                        or OTHER_OS.search(member)
                    ):
                        continue
                    path = os.path.join(dest, *member.split('/'))
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, 'wb') as f:
                        f.write(z.read(member))
                    os.chmod(path, 0o644)
                    os.utime(path, (315532800, 315532800))
            out[tag_name] = wheel
        linked = share_identical(args.out)
        print(json.dumps({'native': out, 'symlinked': linked}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def share_identical(native):
    """The platforms' wheels differ only in the extension module: every other file of a platform that is
    byte-identical to SHARED_TAG's becomes a relative symlink to it, and so does psutil/__pycache__
    (filled once per interpreter by native-pyc). `cp -R` copies the links as links."""
    shared = os.path.join(native, SHARED_TAG)
    os.makedirs(os.path.join(shared, NATIVE, '__pycache__'), exist_ok=True)
    linked = 0
    for tag_name in sorted(NATIVE_PLATFORMS):
        if tag_name == SHARED_TAG:
            continue
        dest = os.path.join(native, tag_name)
        for dirpath, _, filenames in os.walk(dest):
            for f in filenames:
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, dest)
                twin = os.path.join(shared, rel)
                if f.endswith('.so') or not os.path.isfile(twin):
                    continue
                with open(path, 'rb') as a, open(twin, 'rb') as b:
                    if a.read() != b.read():
                        continue
                os.remove(path)
                os.symlink(os.path.relpath(twin, dirpath), path)
                linked += 1
        os.symlink(
            os.path.join('..', '..', SHARED_TAG, NATIVE, '__pycache__'), os.path.join(dest, NATIVE, '__pycache__')
        )
    return linked


def native_pyc(args):
    """Compiles the shared copy of psutil's modules (the other platforms link to it)."""
    native = os.path.join(args.out, 'native')
    mount = '%s/python' % args.mount.rstrip('/')
    run(
        [
            sys.executable,
            '-m',
            'compileall',
            '-q',
            '-f',
            '-j',
            '0',
            '--invalidation-mode',
            'unchecked-hash',
            '-s',
            args.out,
            '-p',
            mount,
            os.path.join(native, SHARED_TAG),
        ]
    )
    n = 0
    for dirpath, _, filenames in os.walk(native):
        for f in filenames:
            if f.endswith('.pyc'):
                os.chmod(os.path.join(dirpath, f), 0o644)
                n += 1
    print(json.dumps({'native_pyc': n, 'python': '%d.%d' % sys.version_info[:2]}))


def bootstrap_pyc(args):
    """Compiles sitecustomize.py and _otel_injector/ (shipped as source) into their __pycache__ for this
    interpreter (unchecked-hash): the app's uid cannot write there, so without them every start would
    compile the bootstrap again."""
    mount = '%s/python' % args.mount.rstrip('/')
    run(
        [
            sys.executable,
            '-m',
            'compileall',
            '-q',
            '-f',
            '--invalidation-mode',
            'unchecked-hash',
            '-s',
            args.out,
            '-p',
            mount,
            os.path.join(args.out, 'sitecustomize.py'),
            os.path.join(args.out, '_otel_injector'),
        ]
    )
    for dirpath, _, filenames in os.walk(args.out):
        if os.path.basename(dirpath) == '__pycache__':
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)


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


def native_tag():
    libc = 'musllinux' if any(n.startswith('ld-musl-') for n in os.listdir('/lib')) else 'manylinux'
    machine = {'arm64': 'aarch64', 'amd64': 'x86_64'}.get(platform.machine().lower(), platform.machine().lower())
    return '%s_%s' % (libc, machine)


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('what', choices=['lib', 'native', 'native-pyc', 'bootstrap-pyc', 'verify'])
    parser.add_argument('--requirements')
    parser.add_argument('--out', required=True)
    parser.add_argument(
        '--mount', default='/otel-injector', help='where the payload lands in the pod (paths in tracebacks)'
    )
    args = parser.parse_args()
    if sys.version_info < (3, 9):
        raise SystemExit('build_lib: needs CPython 3.9+, got %s' % sys.version.split()[0])
    if args.what in ('lib', 'native') and not args.requirements:
        parser.error('--requirements is needed')
    {
        'lib': build_lib,
        'native': build_native,
        'native-pyc': native_pyc,
        'bootstrap-pyc': bootstrap_pyc,
        'verify': verify,
    }[args.what](args)


if __name__ == '__main__':
    main()
