"""psutil, the one binary package: its abi3 wheels per Linux platform (native/<tag>/), files shared across
platforms as links, and their bytecode per interpreter. Part of build_lib.py's build."""

import json
import os
import platform
import re
import shutil
import sys
import tempfile
import zipfile

from build_common import (
    KEEP_DIST_INFO,
    NATIVE,
    NATIVE_PLATFORMS,
    OTHER_OS,
    SHARED_TAG,
    compile_for_the_pod,
    hash_flag,
    normalize,
    pip,
    requirement_entries,
    run,
)


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
    compile_for_the_pod(args, [os.path.join(native, SHARED_TAG)], parallel=True)
    n = 0
    for dirpath, _, filenames in os.walk(native):
        for f in filenames:
            if f.endswith('.pyc'):
                os.chmod(os.path.join(dirpath, f), 0o644)
                n += 1
    print(json.dumps({'native_pyc': n, 'python': '%d.%d' % sys.version_info[:2]}))


def native_tag():
    libc = 'musllinux' if any(n.startswith('ld-musl-') for n in os.listdir('/lib')) else 'manylinux'
    machine = {'arm64': 'aarch64', 'amd64': 'x86_64'}.get(platform.machine().lower(), platform.machine().lower())
    return '%s_%s' % (libc, machine)
