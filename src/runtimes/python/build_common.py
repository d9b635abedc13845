"""What every part of the Python payload build shares: the payload layout's constants, running pip and other
commands, reading requirements files. Loaded by build_lib.py from its own folder (docs/python-build.md)."""

import os
import re
import subprocess
import sys
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


def compile_for_the_pod(args, paths, parallel=False):
    """Compiles `paths` (under args.out) into their __pycache__ for this interpreter, unchecked-hash, with the
    paths tracebacks show being the pod's (<mount>/python/...): the app's uid cannot write there."""
    mount = '%s/python' % args.mount.rstrip('/')
    jobs = ['-j', '0'] if parallel else []
    run(
        [sys.executable, '-m', 'compileall', '-q', '-f', *jobs, '--invalidation-mode', 'unchecked-hash']
        + ['-s', args.out, '-p', mount, *paths]
    )
