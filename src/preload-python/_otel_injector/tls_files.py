"""The TLS files of an exporter (CA bundle, client certificate, client key) and whether they changed.

A Kubernetes Secret volume is updated in place (the kubelet swaps a symlink to a new directory), so a
renewed CA or certificate appears under the same path: comparing what os.stat() says about each file
(following the links) at every export tells when to build a new SSL context, without a restart.
"""

import os


def paths(cfg):
    """The exporter's TLS file paths, in a fixed order (None for those not set)."""
    return (cfg.get('certificate'), cfg.get('client_certificate'), cfg.get('client_key'))


def signature(files):
    """What identifies the current content of each file: (device, inode, size, mtime), None when absent."""
    out = []
    for path in files:
        if not path:
            out.append(None)
            continue
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)
