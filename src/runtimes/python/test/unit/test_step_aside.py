"""Real app processes (see test_export.py): disabled, unsupported or conflicting setups step aside with one
line, and the image's own sitecustomize still runs."""

import os

from conftest import PAYLOAD, app_env, ours, run_app


def test_sdk_disabled_does_nothing(receiver):
    code = (
        'import sys; print([p for p in sys.path if p.startswith(%r + "/")]); '
        'print("_otel_injector_vendor" in sys.modules)' % PAYLOAD
    )
    r = run_app(code, app_env(receiver.endpoint, OTEL_SDK_DISABLED='true'))
    assert r.returncode == 0 and r.stderr == ''
    assert r.stdout.split('\n')[:2] == ['[]', 'False']


def test_grpc_protocol_steps_aside_with_one_line(receiver):
    r = run_app(
        'import sys; print(any(p.startswith(%r + "/") for p in sys.path))' % PAYLOAD,
        app_env(receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL='grpc'),
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False'
    assert ours(r.stderr) == [
        "otel-injector: python: not instrumented: OTLP protocol 'grpc' for traces is not "
        'supported (http/protobuf or http/json)'
    ]


def test_conflicting_package_in_the_app_steps_aside(receiver, tmp_path):
    site = tmp_path / 'site'
    (site / 'wrapt').mkdir(parents=True)
    (site / 'wrapt' / '__init__.py').write_text('')
    (site / 'wrapt-3.9.0.dist-info').mkdir()
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app('import sys; print(any(p.startswith(%r + "/") for p in sys.path)); print("served")' % PAYLOAD, env)
    assert r.returncode == 0 and r.stdout.split() == ['False', 'served']
    lines = ours(r.stderr)
    assert len(lines) == 1
    assert lines[0].startswith(
        'otel-injector: python: not instrumented: wrapt 3.9.0 in the app, the injected '
        'instrumentation needs <3.0.0,>=1.0.0 ('
    )


def test_image_sitecustomize_is_chained(receiver, tmp_path):
    site = tmp_path / 'imagesite'
    site.mkdir()
    (site / 'sitecustomize.py').write_text('import sys\nsys.image_sitecustomize_ran = __name__\n')
    code = 'import sys, sitecustomize; print(getattr(sys, "image_sitecustomize_ran", None), sitecustomize.__file__)'
    for extra in ({}, {'OTEL_SDK_DISABLED': 'true'}, {'OTEL_EXPORTER_OTLP_PROTOCOL': 'grpc'}):
        env = app_env(receiver.endpoint, **extra)
        env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
        r = run_app(code, env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ['sitecustomize', str(site / 'sitecustomize.py')], (extra, r.stdout, r.stderr)


def test_failing_image_sitecustomize_reported_like_site_does(tmp_path):
    site = tmp_path / 'badsite'
    site.mkdir()
    (site / 'sitecustomize.py').write_text('raise RuntimeError("image bug")\n')
    env = app_env(None, OTEL_SDK_DISABLED='true')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app('print("app runs")', env)
    assert r.returncode == 0 and r.stdout.strip() == 'app runs'
    assert 'RuntimeError: image bug' in r.stderr
