"""build_lib.py runs alone in a bare CPython build stage, so it keeps its own copy of normalize: the names it
writes into the manifest must be the ones the payload looks up."""

import os

BUILD_LIB = os.path.join(os.path.dirname(__file__), '..', '..', 'build_lib.py')


def test_build_lib_normalizes_names_as_the_payload_does():
    import importlib.util

    from _otel_injector import conflicts, entry_points

    spec = importlib.util.spec_from_file_location('build_lib_under_test', BUILD_LIB)
    build_lib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_lib)
    table = {
        'opentelemetry-api': 'opentelemetry-api',
        'opentelemetry_api': 'opentelemetry-api',
        'OpenTelemetry.API': 'opentelemetry-api',
        'Zope.Interface': 'zope-interface',
        'typing_extensions': 'typing-extensions',
        'importlib-metadata': 'importlib-metadata',
        'a__b--c..d': 'a-b-c-d',
        'a-_.b': 'a-b',
        'PSUTIL': 'psutil',
        'wrapt': 'wrapt',
        'x1.2_3': 'x1-2-3',
        '': '',
    }
    for name, expected in table.items():
        assert conflicts.normalize(name) == expected, name
        assert build_lib.normalize(name) == expected, name
    assert entry_points.normalize is conflicts.normalize, 'the payload has one definition'
