// An app that starts its own OpenTelemetry SDK (service.name "own-sdk", OTLP/JSON to OWN_ENDPOINT)
// before serving: the preload must step aside so every span is exported once, by the app's SDK.
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'own-sdk' }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${process.env.OWN_ENDPOINT}/v1/traces` }))],
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });

const http = require('node:http');
const ready = require('./ready.cjs');
const server = http.createServer((req, res) => res.end('own'));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => ready(server));
