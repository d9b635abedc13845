"""conflicts: versions, specifiers and the app's installed distributions against our manifest; pure functions
on real inputs."""

import pytest
from _otel_injector import conflicts


@pytest.mark.parametrize(
    'version,spec,ok',
    [
        ('1.45.1', '==1.45.1', True),
        ('1.45.0', '==1.45.1', False),
        ('2.0', '>=1.0,<3.0.0', True),
        ('3.0.0', '<3.0.0', False),
        ('1.17.3', '<3.0.0,>=1.0.0', True),
        ('0.9', '>=1.0', False),
        ('3.11.1', '~=3.0', True),
        ('4.0', '~=3.0', False),
        ('3.0.5', '~=3.0.2', True),
        ('3.1', '~=3.0.2', False),
        ('0.66b1', '==0.66b1', True),
        ('0.66b0', '==0.66b1', False),
        ('1.0rc1', '>=1.0', False),
        ('1.0.post1', '>1.0', True),
        ('1.0.dev1', '<1.0', True),
        ('5.9.0', '>=5.9.0, <8', True),
        ('8.0.0', '>=5.9.0, <8', False),
        ('4.12.2', '>=4.5.0', True),
        ('1.2.3', '==1.2.*', True),
        ('1.3', '==1.2.*', False),
        ('1.2', '!=1.2.0', False),
        ('not-a-version', '>=1', True),
        ('2.0+local', '>=2.0', True),
    ],
)
def test_satisfies(version, spec, ok):
    assert conflicts.satisfies(version, spec) is ok


def _dist(tmp_path, name):
    (tmp_path / name).mkdir()


def test_installed_reads_dist_dirs_first_wins(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    a.mkdir()
    b.mkdir()
    for d, names in (
        (a, ['wrapt-1.17.3.dist-info', 'Typing_Extensions-4.1.0.dist-info', 'notes.txt']),
        (b, ['wrapt-2.0.0.dist-info', 'protobuf-3.20.0-py3.9.egg-info', 'opentelemetry_api-1.30.0.dist-info']),
    ):
        for n in names:
            (d / n).mkdir()
    found = conflicts.installed([str(a), str(b), str(tmp_path / 'missing'), str(tmp_path / 'x.zip')])
    assert found == {
        'wrapt': '1.17.3',
        'typing-extensions': '4.1.0',
        'protobuf': '3.20.0',
        'opentelemetry-api': '1.30.0',
    }


def test_plain_paths_agree_with_the_patterns():
    # names and versions that take the plain (no regex) paths give what the full patterns give
    import re

    name_re = re.compile(conflicts._NAME_VERSION)
    version_re = re.compile(conflicts._VERSION, re.IGNORECASE)
    names = [
        'wrapt-1.17.3.dist-info',
        'Typing_Extensions-4.1.0.dist-info',
        'zope.interface-7.2.dist-info',
        'protobuf-3.20.0-py3.9.egg-info',
        'foo-1.0.egg-info',
        'foo-bar-1.0.dist-info',
        'x-v1.dist-info',
        '-1.0.dist-info',
        'a-1.0rc1.dist-info',
        'a-1.0+local.dist-info',
    ]
    for n in names:
        m = name_re.match(n)
        assert conflicts._name_version(n) == ((m.group('name'), m.group('version')) if m else None), n
    versions = [
        '1',
        '1.0',
        '1.2.3',
        '0.66',
        ' 2.0 ',
        '1.0.0.0',
        '1.45.1',
        '10.0.0',
        '1.0rc1',
        '1.0.post1',
        'v1.0',
        '1!2.0',
        '1.0+local',
        '',
        '1..2',
        'not-a-version',
        '\u00b2',
    ]
    for v in versions:
        m = version_re.match(v)
        want = [int(x) for x in m.group('release').split('.')] if m else None
        assert conflicts._release(v) == want, v
        assert (conflicts.parse_version(v) is None) == (m is None), v
    assert conflicts.parse_version('1.2.0') == conflicts.parse_version('1.2') < conflicts.parse_version('1.2.post1')
    assert conflicts.parse_version('1.2rc1') < conflicts.parse_version('1.2') < conflicts.parse_version('1.10')


MANIFEST = {
    'opentelemetry-api': {'version': '1.45.1', 'requires': {'typing-extensions': '>=4.5.0'}},
    'opentelemetry-instrumentation': {
        'version': '0.66b1',
        'requires': {'wrapt': '<3.0.0,>=1.0.0', 'packaging': '>=18.0'},
    },
    'typing-extensions': {'version': '4.16.0', 'requires': {}},
    'wrapt': {'version': '2.5.2', 'requires': {}},
    'packaging': {'version': '26.4', 'requires': {}},
}


def test_find_conflict():
    assert (
        conflicts.find_conflict(
            {'wrapt': '1.17.3', 'packaging': '24.0', 'protobuf': '3.20.0', 'fastapi': '0.115'}, MANIFEST
        )
        is None
    )
    c = conflicts.find_conflict({'typing-extensions': '4.1.0'}, MANIFEST)
    assert conflicts.message(c) == (
        'typing-extensions 4.1.0 in the app, the injected instrumentation needs >=4.5.0 (4.16.0)'
    )
    # our OpenTelemetry is vendored under a private name: the app's opentelemetry-* are never a conflict
    for app in ({'opentelemetry-api': '1.30.0'}, {'opentelemetry-api': '1.46.0'}, {'opentelemetry-api': '1.45.3rc1'}):
        assert conflicts.find_conflict(app, MANIFEST) is None
    assert (
        conflicts.find_conflict({'opentelemetry-sdk': '1.25.0'}, {'opentelemetry-sdk': {'version': '1.45.1'}}) is None
    )
    assert conflicts.find_conflict({'wrapt': '3.1.0'}, MANIFEST)[2] == '<3.0.0,>=1.0.0'


def test_api_problem_names_the_version_and_what_to_change():
    assert conflicts.api_problem({}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.25.0'}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.45.3'}) is None
    assert conflicts.api_problem({'opentelemetry-api': '1.60.0'}) is None  # newer minors: the bridge checks names
    assert conflicts.api_problem({'opentelemetry-api': '1.24.0'}) == (
        'opentelemetry-api 1.24.0 in the app is older than 1.25, the oldest the injected SDK bridges to; '
        'upgrade it to >=1.25 or remove it'
    )
    assert conflicts.api_problem({'opentelemetry-api': '2.0.0'}) == (
        'opentelemetry-api 2.0.0 in the app is a major version the injected SDK does not bridge to '
        '(tested 1.25 to 1.45); use opentelemetry-api 1.x'
    )


def test_real_manifest_has_no_protobuf_and_no_requests():
    from conftest import manifest

    dists = manifest()['dists']
    assert 'protobuf' not in dists and 'requests' not in dists and 'grpcio' not in dists
    assert not [d for d in dists if d.startswith('opentelemetry-exporter')]
