// Issue 21: `preview` shows where each instrumented container sends and with which credentials, by reference
// (files of the mounted Secret, the Secret key of the headers), from the same chart values the webhook gets.
import t from 'tap';
import { cli, envOf, fixture, yamlDocs, type Obj } from './helpers.js';

void t.test('preview with the collector TLS values: the settings, never a value', async (t) => {
  const ran = await cli(['preview', '-f', fixture('orders-api.yaml'), '--values', fixture('values-collector-tls.yaml')]);
  t.equal(ran.code, 0, ran.stderr);
  const dir = '/var/run/otel-injector/collector';
  t.match(ran.stdout, /\n {4}collector: https:\/\/signoz-otel-collector\.signoz\.svc\.cluster\.local:4318\n/);
  t.match(ran.stdout, new RegExp(`\\n {4}tls: CA ${dir}/ca\\.crt \\(Secret otel-injector-collector, read-only\\)\\n`));
  t.match(ran.stdout, new RegExp(`\\n {4}tls: client certificate ${dir}/tls\\.crt \\(Secret otel-injector-collector, read-only\\)\\n`));
  t.match(ran.stdout, new RegExp(`\\n {4}tls: client key ${dir}/tls\\.key \\(Secret otel-injector-collector, read-only\\)\\n`));
  t.match(ran.stdout, new RegExp(`\\n {4}headers: from Secret otel-injector-collector key headers, re-read from ${dir}/headers \\(value not shown\\)\\n`));
  t.notMatch(ran.stdout, /signoz-ca|signoz-client|signoz-cloud/, 'the release-namespace sources are the controller\'s business, not the pod\'s');
  const yaml = await cli(['preview', '-f', fixture('orders-api.yaml'), '--values', fixture('values-collector-tls.yaml'), '-o', 'yaml']);
  const deployment = yamlDocs(yaml.stdout).find((d) => d.kind === 'Deployment') as Obj;
  const pod = { spec: deployment.spec.template.spec };
  t.equal(envOf(pod, 'api', 'OTEL_EXPORTER_OTLP_CERTIFICATE'), `${dir}/ca.crt`, 'the text matches the admitted template');
  t.ok((pod.spec.volumes as Obj[]).some((v) => v.secret?.secretName === 'otel-injector-collector' && v.secret?.optional === true));
});

void t.test('preview by default: the plain endpoint, no TLS or header line', async (t) => {
  const ran = await cli(['preview', '-f', fixture('orders-api.yaml')]);
  t.equal(ran.code, 0);
  t.match(ran.stdout, /\n {4}collector: http:\/\/signoz-otel-collector\.signoz\.svc\.cluster\.local:4318\n/);
  t.notMatch(ran.stdout, /\n {4}(tls|headers):/);
});

void t.test('a CA with only http:// endpoints is refused like the chart refuses it', async (t) => {
  const ran = await cli(['preview', '-f', fixture('orders-api.yaml')], { env: { INJECT_COLLECTOR_CA: 'true' } });
  t.equal(ran.code, 3, 'invalid configuration');
  t.match(ran.stderr, /INJECT_COLLECTOR_CA/);
});
