"""Conflict check against the app's installed distributions, before anything of ours is importable.

The app's distributions are read from the *.dist-info / *.egg-info directory NAMES in the sys.path
entries that exist before ours (one listdir per entry, no importlib.metadata scan).

Our OpenTelemetry is vendored under a private package name (`_otel_injector_vendor.opentelemetry`), so
the app's `opentelemetry-*` distributions never replace ours and are no conflict: the app's API is
bridged to our SDK (bridge.py) when it is in the supported range (api_problem). Any other distribution
that our manifest also has conflicts when one of our distributions requires it with a specifier its
version does not satisfy: the app's copy wins on sys.path, so ours would run against it: we step aside.
"""

import os
import re

# Compiled at first use: sre_compile is Python code, and most names and versions take the plain paths
# below (name-1.2.3.dist-info, 1.2.3), so a start usually compiles neither (~1.5 ms on 3.10).
_NAME_VERSION = r'^(?P<name>.+?)-(?P<version>\d[^-]*?)(?:-py\d[\d.]*)?(?:-[^-]+)?\.(?:dist-info|egg-info)$'
_compiled = {}


def _re(pattern, flags=0):
    found = _compiled.get(pattern)
    if found is None:
        found = _compiled[pattern] = re.compile(pattern, flags)
    return found


def normalize(name):
    """A distribution name as PEP 503 compares it ('Zope.Interface' -> 'zope-interface'): the payload's one
    definition (build_lib.py, run without the payload, keeps a copy that unit/test_conflicts.py pins to this one)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def installed(paths):
    """{normalized name: version} from the distribution directories in these sys.path entries
    (the first one found wins, as importlib.metadata does)."""
    found = {}
    for entry in paths:
        try:
            names = os.listdir(entry or '.')
        except (OSError, TypeError, ValueError):
            continue  # a zip or a missing directory
        for n in sorted(names):
            if not (n.endswith('.dist-info') or n.endswith('.egg-info')):
                continue
            name_version = _name_version(n)
            if name_version:
                found.setdefault(normalize(name_version[0]), name_version[1])
    return found


def _name_version(dirname):
    """(name, version) of a NAME-VERSION.dist-info / .egg-info directory name, or None."""
    stem = dirname[: -len('.dist-info')] if dirname.endswith('.dist-info') else dirname[: -len('.egg-info')]
    parts = stem.split('-')
    if len(parts) == 2 and parts[0] and parts[1][:1].isdigit():
        return parts[0], parts[1]  # what the pattern gives for a name with one '-'
    m = _re(_NAME_VERSION).match(dirname)
    return (m.group('name'), m.group('version')) if m else None


# ---- a small PEP 440 subset: release, pre (a/b/rc), post, dev; local labels ignored ----------------
_VERSION = (
    r'^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)'
    r'(?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?'
    r'(?:(?:-(?P<post_n1>\d+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d*)))?'
    r'(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d*))?'
    r'(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$'
)
_PRE = {'a': 0, 'alpha': 0, 'b': 1, 'beta': 1, 'c': 2, 'rc': 2, 'pre': 2, 'preview': 2}
_INF = float('inf')


def _plain_release(text):
    """[1, 2, 3] for a plain release like '1.2.3' (no epoch, pre, post, dev, local), else None."""
    parts = text.strip().split('.')
    if all(p.isascii() and p.isdigit() for p in parts):
        return [int(p) for p in parts]
    return None


def parse_version(text):
    """A sortable key, or None for what is not a PEP 440 version."""
    plain = _plain_release(text)
    if plain is not None:
        while len(plain) > 1 and plain[-1] == 0:
            plain.pop()
        return (0, tuple(plain), (_INF, 0), -1, _INF)
    m = _re(_VERSION, re.IGNORECASE).match(text)
    if not m:
        return None
    release = tuple(int(x) for x in m.group('release').split('.'))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    pre = (_PRE[m.group('pre_l').lower()], int(m.group('pre_n') or 0)) if m.group('pre_l') else None
    post_n = m.group('post_n1') or m.group('post_n2')
    post = int(post_n or 0) if (m.group('post_n1') or m.group('post_l')) else None
    dev = int(m.group('dev_n') or 0) if m.group('dev_l') else None
    # Order: X.devN < X.aN < X < X.postN.devM < X.postN
    if pre is None and post is None and dev is not None:
        pre_key = (-1, 0)
    elif pre is None:
        pre_key = (_INF, 0)
    else:
        pre_key = pre
    return (
        int(m.group('epoch') or 0),
        release,
        pre_key,
        post if post is not None else -1,
        dev if dev is not None else _INF,
    )


def _release(text):
    plain = _plain_release(text)
    if plain is not None:
        return plain
    m = _re(_VERSION, re.IGNORECASE).match(text)
    return [int(x) for x in m.group('release').split('.')] if m else None


def _pad(release, n):
    return tuple(release) + (0,) * (n - len(release))


def _cmp(a, b):
    ka, kb = list(a), list(b)
    n = max(len(ka[1]), len(kb[1]))
    ka[1], kb[1] = _pad(ka[1], n), _pad(kb[1], n)
    ka, kb = tuple(ka), tuple(kb)
    return (ka > kb) - (ka < kb)


def satisfies(version, specifier):
    """Does `version` satisfy a PEP 440 specifier set like '>=1.0,<3' or '~=3.0' or '==0.66b1'?
    An unparseable version or clause counts as satisfied (we only step aside for a sure conflict).
    Pre-releases are accepted when the version is one (the app has it installed already)."""
    v = parse_version(version)
    if v is None:
        return True
    for clause in (specifier or '').split(','):
        clause = clause.strip()
        if not clause:
            continue
        m = re.match(r'^(~=|===|==|!=|<=|>=|<|>)\s*(.+)$', clause)
        if not m:
            continue
        op, target = m.group(1), m.group(2).strip()
        if not _clause(op, target, version, v):
            return False
    return True


def _prefix_match(version, target):
    want = _release(target[:-2])
    have = _release(version)
    if want is None or have is None:
        return True
    return _pad(have, len(want))[: len(want)] == tuple(want)


def _clause(op, target, version, v):
    if op == '===':
        return version.strip() == target
    if target.endswith('.*'):
        if op in ('==', '!='):
            return _prefix_match(version, target) == (op == '==')
        return True
    t = parse_version(target)
    if t is None:
        return True
    c = _cmp(v, t)
    if op == '==':
        return c == 0
    if op == '!=':
        return c != 0
    if op == '>=':
        return c >= 0
    if op == '<=':
        return c <= 0
    if op == '>':
        return c > 0
    if op == '<':
        return c < 0
    # ~=X.Y[.Z]: >= X.Y[.Z] and == X[.Y].*
    rel = _release(target)
    if rel is None or len(rel) < 2:
        return True
    prefix = '.'.join(str(x) for x in rel[:-1]) + '.*'
    return c >= 0 and _prefix_match(version, prefix)


# The app's opentelemetry-api releases the bridge was tested with (bridge.py checks the names it needs
# by attribute; a newer API without them steps aside there).
API_MIN = (1, 25)
API_TESTED_MAX = (1, 45)


def api_problem(app):
    """A step-aside reason for the app's opentelemetry-api version, or None (absent or bridgeable)."""
    version = app.get('opentelemetry-api')
    if version is None:
        return None
    release = _release(version)
    if release is None:
        return None
    if tuple(_pad(release, 2)[:2]) < API_MIN:
        return (
            'opentelemetry-api %s in the app is older than %d.%d, the oldest the injected SDK bridges to;'
            ' upgrade it to >=%d.%d or remove it' % ((version,) + API_MIN + API_MIN)
        )
    if release[0] != API_MIN[0]:
        return (
            'opentelemetry-api %s in the app is a major version the injected SDK does not bridge to'
            ' (tested %d.%d to %d.%d); use opentelemetry-api 1.x' % ((version,) + API_MIN + API_TESTED_MAX)
        )
    return None


def find_conflict(app, manifest_dists):
    """The first conflict as (dist, app version, needed spec, our version), or None.
    app: {name: version}; manifest_dists: the manifest's `dists` ({name: {version, requires}}).
    opentelemetry-* are vendored (never the app's copy): no conflict."""
    for name in sorted(app):
        ours = manifest_dists.get(name)
        if ours is None or name.startswith('opentelemetry-'):
            continue
        app_version = app[name]
        for other in sorted(manifest_dists):
            spec = (manifest_dists[other].get('requires') or {}).get(name)
            if spec and not satisfies(app_version, spec):
                return (name, app_version, spec, ours['version'])
    return None


def message(conflict):
    dist, app_version, spec, our_version = conflict
    return '%s %s in the app, the injected instrumentation needs %s (%s)' % (dist, app_version, spec, our_version)
