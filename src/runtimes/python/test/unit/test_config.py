"""config: the OTEL_* environment parsed into what the payload exports, or a reason to step aside; pure
functions on real inputs."""

import os

import pytest
from _otel_injector import config


def test_defaults():
    cfg = config.parse({})
    assert set(cfg['exporters']) == {'traces', 'metrics', 'logs'}
    assert cfg['exporters']['traces']['endpoint'] == 'http://localhost:4318/v1/traces'
    assert cfg['exporters']['logs']['protocol'] == 'http/protobuf'
    assert cfg['exporters']['metrics']['timeout_s'] == 10.0
    assert cfg['shutdown_timeout_s'] == 1.0 and cfg['metric_interval_ms'] == 60000.0


def test_sdk_disabled():
    assert config.parse({'OTEL_SDK_DISABLED': 'TRUE'}) is None
    assert config.parse({'OTEL_SDK_DISABLED': 'false'}) is not None


def test_endpoints_headers_timeout_compression():
    cfg = config.parse(
        {
            'OTEL_EXPORTER_OTLP_ENDPOINT': 'https://collector:4318/base/',
            'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT': 'http://logs:9999/custom',
            'OTEL_EXPORTER_OTLP_HEADERS': 'a=1, b = two%20words ,bad, =x',
            'OTEL_EXPORTER_OTLP_TRACES_HEADERS': 'a=override',
            'OTEL_EXPORTER_OTLP_TIMEOUT': '2500',
            'OTEL_EXPORTER_OTLP_METRICS_TIMEOUT': '100',
            'OTEL_EXPORTER_OTLP_COMPRESSION': 'gzip',
            'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL': 'http/json',
            'OTEL_METRIC_EXPORT_INTERVAL': '5000',
            'OTEL_INJECTOR_SHUTDOWN_TIMEOUT_MS': '700',
        }
    )
    ex = cfg['exporters']
    assert ex['traces']['endpoint'] == 'https://collector:4318/base/v1/traces'
    assert ex['logs']['endpoint'] == 'http://logs:9999/custom'
    assert ex['traces']['headers'] == {'a': 'override', 'b': 'two words'}
    assert ex['logs']['headers'] == {'a': '1', 'b': 'two words'}
    assert ex['traces']['timeout_s'] == 2.5 and ex['metrics']['timeout_s'] == 0.1
    assert ex['traces']['compression'] == 'gzip'
    assert ex['metrics']['protocol'] == 'http/json' and ex['traces']['protocol'] == 'http/protobuf'
    assert cfg['metric_interval_ms'] == 5000.0 and cfg['shutdown_timeout_s'] == 0.7


def test_exporter_none_and_disabled_instrumentations():
    cfg = config.parse(
        {
            'OTEL_TRACES_EXPORTER': 'none',
            'OTEL_LOGS_EXPORTER': 'none',
            'OTEL_PYTHON_DISABLED_INSTRUMENTATIONS': 'redis, SQLAlchemy,aio_pika',
        }
    )
    assert set(cfg['exporters']) == {'metrics'}
    assert cfg['disabled'] == {'redis', 'sqlalchemy', 'aio-pika'}


@pytest.mark.parametrize(
    'env',
    [
        {'OTEL_EXPORTER_OTLP_PROTOCOL': 'grpc'},
        {'OTEL_EXPORTER_OTLP_ENDPOINT': 'collector:4317'},
        {'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT': 'unix:///sock'},
    ],
)
def test_what_we_cannot_export_steps_aside(env):
    with pytest.raises(config.StepAside):
        config.parse(env)


def test_resource_attributes_percent_decoded():
    from _otel_injector import resource

    cfg = config.parse({'OTEL_RESOURCE_ATTRIBUTES': 'k8s.pod.name=p%2C1,service.name=from-attrs,x=a%3Db'})
    a = resource.attributes(cfg, '1.0')
    assert a['k8s.pod.name'] == 'p,1' and a['x'] == 'a=b' and a['service.name'] == 'from-attrs'
    assert a['telemetry.sdk.language'] == 'python' and a['telemetry.sdk.version'] == '1.0'
    assert a['process.pid'] == os.getpid() and a['process.runtime.name'] == 'cpython'
    cfg = config.parse({'OTEL_RESOURCE_ATTRIBUTES': 'service.name=x', 'OTEL_SERVICE_NAME': 'svc'})
    assert resource.attributes(cfg, '1.0')['service.name'] == 'svc'
    assert resource.attributes(config.parse({}), '1.0')['service.name'].startswith('unknown_service:')
