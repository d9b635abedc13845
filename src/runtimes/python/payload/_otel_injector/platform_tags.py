"""Which native/<tag> directory fits this process: libc (glibc or musl) and CPU architecture."""

import os
import platform
import sys

ARCH = {'x86_64': 'x86_64', 'amd64': 'x86_64', 'aarch64': 'aarch64', 'arm64': 'aarch64'}


def libc(lib_dirs=('/lib', '/lib64', '/usr/lib')):
    """'glibc', 'musl' or None (unknown). Asks the interpreter first (glibc answers os.confstr), then
    looks for musl's dynamic loader (/lib/ld-musl-<arch>.so.1) as Alpine has it."""
    try:
        if (os.confstr('CS_GNU_LIBC_VERSION') or '').startswith('glibc'):
            return 'glibc'
    except (AttributeError, ValueError, OSError):
        pass
    for d in lib_dirs:
        try:
            if any(n.startswith('ld-musl-') for n in os.listdir(d)):
                return 'musl'
        except OSError:
            continue
    try:
        name, _ = platform.libc_ver(executable=sys.executable)
        if name == 'glibc':
            return 'glibc'
    except Exception:
        pass
    return None


def native_tag(machine=None, libc_name=None):
    """e.g. 'manylinux_x86_64' / 'musllinux_aarch64', or None when we ship nothing for the platform."""
    if not sys.platform.startswith('linux'):
        return None
    arch = ARCH.get((machine if machine is not None else platform.machine()).lower())
    kind = libc_name if libc_name is not None else libc()
    if arch is None or kind is None:
        return None
    return '%s_%s' % ('musllinux' if kind == 'musl' else 'manylinux', arch)
