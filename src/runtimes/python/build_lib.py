"""Builds one CPython minor's part of the Python payload (docs/python-build.md).

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
import shutil
import sys
import tempfile

# The build's other parts are modules next to this file; run as `python3 -I -S build_lib.py verify`, its own
# folder is not on sys.path, so it is put there for these imports only.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_common import (  # noqa: E402
    DIST_INFO,
    KEEP_DIST_INFO,
    MODULE_OF_DIST,
    NATIVE,
    NATIVE_PLATFORMS,
    compile_for_the_pod,
    deterministic_zip,
    hash_flag,
    normalize,
    pip,
    run,
    tag,
)
from build_native import build_native, native_pyc, take_out_native  # noqa: E402
from build_vendor import vendor, vendor_manifest  # noqa: E402
from build_verify import verify  # noqa: E402

del sys.path[0]


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


def bootstrap_pyc(args):
    """Compiles sitecustomize.py and _otel_injector/ (shipped as source) into their __pycache__ for this
    interpreter (unchecked-hash): the app's uid cannot write there, so without them every start would
    compile the bootstrap again."""
    compile_for_the_pod(args, [os.path.join(args.out, 'sitecustomize.py'), os.path.join(args.out, '_otel_injector')])
    for dirpath, _, filenames in os.walk(args.out):
        if os.path.basename(dirpath) == '__pycache__':
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o644)


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
