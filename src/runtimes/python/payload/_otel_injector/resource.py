"""The Resource, built directly (no resource-detector entry points): OTEL_RESOURCE_ATTRIBUTES
(percent-decoded), OTEL_SERVICE_NAME (wins), telemetry.sdk.*, process.* and process.runtime.*."""

import os
import sys


def attributes(cfg, sdk_version):
    attrs = {
        'telemetry.sdk.language': 'python',
        'telemetry.sdk.name': 'opentelemetry',
        'telemetry.sdk.version': sdk_version or '',
        'telemetry.distro.name': 'otel-injector',
        'process.pid': os.getpid(),
        'process.runtime.name': sys.implementation.name,
        'process.runtime.version': '%d.%d.%d' % sys.version_info[:3],
        'process.runtime.description': sys.version,
    }
    if sys.executable:
        attrs['process.executable.path'] = sys.executable
        attrs['process.executable.name'] = os.path.basename(sys.executable)
    if sys.argv and sys.argv[0]:
        attrs['process.command'] = sys.argv[0]
    attrs.update(cfg['resource_attributes'])
    if cfg['service_name']:
        attrs['service.name'] = cfg['service_name']
    if not attrs.get('service.name'):
        attrs['service.name'] = 'unknown_service:' + (os.path.basename(sys.executable or '') or 'python')
    return attrs
