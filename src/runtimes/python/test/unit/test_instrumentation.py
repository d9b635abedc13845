"""Real app processes (see test_export.py): instrumentations load only for the libraries the app imports, at
the right moment, with no entry point scan of our own."""

import os
import textwrap

from conftest import PAYLOAD, app_env, ours, run_app


def test_lazy_instrumentation_only_for_imported_libraries(receiver, tmp_path):
    # a stand-in "redis" package (too small for the instrumentor to patch anything): the redis
    # instrumentation is imported right after it, never before (the integration suite uses a real redis)
    site = tmp_path / 'libs'
    (site / 'redis').mkdir(parents=True)
    (site / 'redis' / '__init__.py').write_text('VERSION = (5, 0, 0)\n__version__ = "5.0.0"\n')
    code = textwrap.dedent("""
        import sys
        before = sorted(m for m in sys.modules if m.startswith("_otel_injector_vendor.opentelemetry.instrumentation"))
        import redis
        print(before == [], "_otel_injector_vendor.opentelemetry.instrumentation" in sys.modules)
    """)
    env = app_env(receiver.endpoint)
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['True', 'True']


def test_disabled_instrumentation_is_not_hooked(receiver, tmp_path):
    site = tmp_path / 'libs'
    (site / 'redis').mkdir(parents=True)
    (site / 'redis' / '__init__.py').write_text('VERSION = (5, 0, 0)\n')
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none', OTEL_PYTHON_DISABLED_INSTRUMENTATIONS='redis')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(
        'import sys, redis; '
        'print(any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules))',
        env,
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr


def test_no_entry_point_scan_at_start(receiver):
    r = run_app(
        'import sys; print("importlib.metadata" in sys.modules, "importlib_metadata" in sys.modules)',
        app_env(receiver.endpoint, OTEL_PROPAGATORS='tracecontext,baggage'),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['False', 'False']


def test_an_app_entry_point_scan_does_not_open_our_zip(receiver):
    # pydantic scans entry points in every FastAPI app: the scan must not read our zip's directory
    code = textwrap.dedent("""
        import sys, zipfile
        opened = []
        real_init = zipfile.ZipFile.__init__
        def spy(self, file, *args, **kwargs):
            real_init(self, file, *args, **kwargs)
            opened.append(str(file))  # opened and its directory read
        zipfile.ZipFile.__init__ = spy
        from importlib import metadata
        metadata.entry_points()
        list(metadata.distributions())
        import _otel_injector_vendor.opentelemetry.sdk.trace as sdk_trace
        ours = [p for p in sys.path if p.startswith(sys.argv[1]) and ".zip" in p]
        print(len(ours), sdk_trace.__file__.startswith(ours[0].rstrip("/")), [f for f in opened if "cp3" in f])
    """)
    r = run_app(code.replace('sys.argv[1]', repr(PAYLOAD)), app_env(receiver.endpoint))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['1', 'True', '[]']


def test_library_version_outside_the_instrumentation_is_left_alone_with_one_line(receiver, tmp_path):
    site = tmp_path / 'libs'
    (site / 'sqlalchemy').mkdir(parents=True)
    (site / 'sqlalchemy' / '__init__.py').write_text('')
    (site / 'SQLAlchemy-99.0.0.dist-info').mkdir()
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(
        'import sys, sqlalchemy; '
        'print(any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules))',
        env,
    )
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr
    lines = ours(r.stderr)
    assert len(lines) == 1 and lines[0].startswith(
        'otel-injector: python: sqlalchemy 99.0.0 is outside what the sqlalchemy instrumentation supports ('
    )


def test_django_is_instrumented_after_setup_not_at_import(receiver, tmp_path):
    # settings exist only after django.setup(): DjangoInstrumentor must wait for it (a stand-in django)
    site = tmp_path / 'libs'
    (site / 'django').mkdir(parents=True)
    (site / 'django' / '__init__.py').write_text(
        'VERSION = (4, 2, 0)\ncalls = []\ndef setup(set_prefix=True):\n    calls.append(set_prefix)\n'
    )
    (site / 'Django-4.2.0.dist-info').mkdir()
    code = textwrap.dedent("""
        import sys, django
        at_import = any(m.startswith("_otel_injector_vendor.opentelemetry.instrumentation") for m in sys.modules)
        django.setup(set_prefix=False)
        print(at_import, django.calls, "_otel_injector_vendor.opentelemetry.instrumentation" in sys.modules)
    """)
    env = app_env(receiver.endpoint, OTEL_METRICS_EXPORTER='none')
    env['PYTHONPATH'] = PAYLOAD + os.pathsep + str(site)
    r = run_app(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['False', '[False]', 'True']
