"""Interpreters the payload does not serve: older than its range, or without a build of their own."""

import os

import pytest
from conftest import MINORS, PAYLOAD, app_env, ours, run_app

OLD = [v for v in ('2.7.18', '3.8.18') if os.path.exists(os.path.expanduser('~/.pyenv/versions/%s' % v))]


@pytest.mark.skipif(not OLD, reason='no Python 2.7/3.8 under ~/.pyenv on this machine')
@pytest.mark.parametrize('version', OLD)
def test_older_python_starts_untouched_with_one_line(version):
    python = os.path.expanduser('~/.pyenv/versions/%s/bin/python%s' % (version, version.rsplit('.', 1)[0]))
    r = run_app('print("app runs")', app_env('http://127.0.0.1:9'), python=python)
    assert r.returncode == 0 and r.stdout.strip() == 'app runs'
    assert ours(r.stderr) == [
        'otel-injector: python: not instrumented: Python %s is older than the supported %s'
        % (version.rsplit('.', 1)[0], MINORS[0])
    ]


def test_python_without_a_build_starts_untouched_with_one_line(tmp_path, receiver):
    # what a Python newer than the payload (3.14) sees: no lib/cp3X.zip for it
    import shutil

    from conftest import TAG

    payload = tmp_path / 'python'
    shutil.copytree(
        PAYLOAD, str(payload), symlinks=True, ignore=lambda d, names: [n for n in names if n.startswith(TAG + '.')]
    )
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = str(payload)
    r = run_app(
        'import sys; print("_otel_injector_vendor" in sys.modules, any(p.startswith(%r) for p in sys.path[1:]))'
        % (str(payload) + '/'),
        env,
    )
    assert r.returncode == 0 and r.stdout.split() == ['False', 'False'], r.stderr
    lines = ours(r.stderr)
    assert len(lines) == 1 and lines[0].startswith('otel-injector: python: not instrumented: Python 3.')
    assert lines[0].endswith('is not supported (supported: %s to %s)' % (MINORS[0], MINORS[-1]))
