#!/usr/bin/env node
// npm run certs [-- --out DIR] [-- --days N] [-- --service NAME --namespace NS]
// Writes a development CA and a serving certificate into certs/ (git-ignored):
//   ca.crt, tls.crt, tls.key (0600) for localhost, 127.0.0.1, ::1 and the chart's Service names.
// Uses the project's own issuer (src/certs/issue.ts), compiled on the fly with esbuild into
// .cache/ so it works from a fresh clone after `npm ci`, without building the whole project.
import { X509Certificate } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'certs') },
    days: { type: 'string', default: '365' },
    service: { type: 'string', default: 'otel-injector' },
    namespace: { type: 'string', default: 'otel-injector' },
  },
});
const days = Number(values.days);
if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`--days must be 1..3650, got ${values.days}`);

const compiled = join(root, '.cache', 'scripts', 'issue.mjs');
await build({
  entryPoints: [join(root, 'src', 'certs', 'issue.ts')],
  outfile: compiled,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
const { issueChain, serviceHosts } = await import(pathToFileURL(compiled).href);

const hosts = ['localhost', '127.0.0.1', '::1', ...serviceHosts(values.service, values.namespace)];
const started = performance.now();
const chain = await issueChain(hosts, days, days * 10, new Date());
const ms = Math.round(performance.now() - started);

const out = resolve(values.out);
await mkdir(out, { recursive: true });
await writeFile(join(out, 'ca.crt'), chain.ca.certPem);
await writeFile(join(out, 'tls.crt'), chain.serving.certPem);
await writeFile(join(out, 'tls.key'), chain.serving.keyPem, { mode: 0o600 });

const leaf = new X509Certificate(chain.serving.certPem);
const where = relative(process.cwd(), out) || '.';
process.stdout.write(
  `wrote ${where}/ca.crt, ${where}/tls.crt, ${where}/tls.key (issued in ${ms} ms)\n` +
    `  subject ${leaf.subject.replace(/\n/g, ', ')}\n  SANs    ${leaf.subjectAltName}\n  expires ${leaf.validTo}\n` +
    `run: TLS_CERT_FILE=${where}/tls.crt TLS_KEY_FILE=${where}/tls.key npm start\n` +
    `try: curl --cacert ${where}/ca.crt https://localhost:8443/healthz\n`,
);
