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


class HeadersFile:
    """Headers from a file (OTEL_INJECTOR_HEADERS_FILE, the webhook's mounted collector Secret): the
    OTEL_EXPORTER_OTLP_HEADERS format (`k1=v1,k2=v2`), read again when the file changed, so a renewed
    ingestion key is sent by the next export with no restart. They are added over the variable's
    headers. A missing or unreadable file adds nothing."""

    def __init__(self, path):
        self.path = path or None
        self._seen = None
        self._headers = {}

    def headers(self):
        if self.path is None:
            return {}
        seen = signature((self.path,))
        if seen != self._seen:
            self._seen = seen
            self._headers = {}
            if seen[0] is not None:
                from .config import parse_kv_list

                try:
                    with open(self.path, encoding='utf-8') as f:
                        self._headers = parse_kv_list(f.read().strip())
                except (OSError, ValueError):
                    self._headers = {}
        return self._headers
