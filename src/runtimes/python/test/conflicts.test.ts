// The app's environment has packages the injected instrumentation also uses. In an incompatible version
// (packaging older than our instrumentation needs): the payload steps aside with one line naming the package
// and both versions, and the app serves as without us. In a compatible version: the app's own copy wins on
// sys.path and the app is instrumented. protobuf, which the peers' exporters need and which often clashes, is
// not a dependency of ours at all. OpenTelemetry itself is vendored under a private name, so the app's
// opentelemetry-* are never a conflict (versions.test.ts); an API older than the bridge supports steps aside.
import { join } from 'node:path';
import t from 'tap';
import { appFor, getJson, literal, pythonEnv, requestsAfter } from './support/app.js';
import { SERVER, startReceiver } from './support/otlp.js';
import { APPS, PY_PAYLOAD } from './support/paths.js';
import { ensurePayload, manifest, normalizeDist, ourVersion, pinned, testedPythons } from './support/python.js';

await ensurePayload();
const pythons = testedPythons();
const highest = pythons.at(-1) ?? '3.13';

// Conflicts: a distribution our payload needs, in a version outside what our packages require.
// packaging: opentelemetry-instrumentation needs >= 18.
function conflicts(): { dist: string; appVersion: string }[] {
  return [{ dist: 'packaging', appVersion: '17.1' }];
}

for (const minor of pythons) {
  for (const { dist, appVersion } of conflicts()) {
    t.test(`CPython ${minor}: ${dist} ${appVersion} in the app's venv: the app serves, one "not instrumented" line names it and both versions, nothing exported`, async (t) => {
      const ours = ourVersion(minor, dist);
      const receiver = await startReceiver();
      t.teardown(() => receiver.close());
      const app = await appFor(t, `conflict-${normalizeDist(dist)}`, minor, pinned(minor, { [dist]: appVersion }), pythonEnv(receiver.url, 'conflicted', {
        // The image's own sitecustomize runs even when we step aside.
        PYTHONPATH: `${PY_PAYLOAD}:${join(APPS, 'own-sitecustomize')}`,
      }));
      const r = await getJson(`${app.url}/orders/9`);
      t.equal(r.status, 200, 'the app serves');
      t.same(r.json, { id: 9 });
      t.same((await getJson(`${app.url}/sitecustomize`)).json, { ran: 'pythonpath;' }, 'the image\'s own sitecustomize still ran, once');
      const lines = app.injectorLines();
      t.equal(lines.length, 1, `exactly one otel-injector line (${lines.join(' | ')})`);
      const line = lines[0] ?? '';
      t.match(line, /^otel-injector: python: not instrumented: /, 'the greppable step-aside prefix');
      t.match(line, new RegExp(`: ${dist.replace('-', '[-_]')} ${literal(appVersion)} in the app, the injected instrumentation needs \\S.* \\(${literal(ours)}\\)$`), `names ${dist}, the app's ${appVersion} and our ${ours}`);
      t.equal(await requestsAfter(receiver, 2000), 0, 'nothing exported');
    });
  }
}

for (const minor of pythons) {
  t.test(`CPython ${minor}: opentelemetry-api 1.24.0 in the app (older than the bridge supports): the app serves, one line names its version and what to change, nothing exported`, async (t) => {
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const app = await appFor(t, 'old-api', minor, pinned(minor, { 'opentelemetry-api': '1.24.0' }), pythonEnv(receiver.url, 'old-api'));
    const r = await getJson(`${app.url}/orders/3`);
    t.equal(r.status, 200, 'the app serves');
    t.same(app.injectorLines(), [
      'otel-injector: python: not instrumented: opentelemetry-api 1.24.0 in the app is older than 1.25, the oldest the injected SDK bridges to; upgrade it to >=1.25 or remove it',
    ]);
    t.equal(await requestsAfter(receiver, 2000), 0, 'nothing exported');
  });
}

t.test(`CPython ${highest}: an app pinning an old protobuf (3.20.3) serves AND is instrumented: the payload needs no protobuf (the peers' exporters do)`, async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  t.notOk(Object.keys(manifest(highest)?.dists ?? {}).some((d) => normalizeDist(d) === 'protobuf'), 'protobuf is not in our manifest');
  const app = await appFor(t, 'old-protobuf', highest, pinned(highest, { protobuf: '3.20.3' }), pythonEnv(receiver.url, 'legacy-proto'));
  const r = await getJson(`${app.url}/protobuf`);
  t.equal(r.status, 200);
  t.same(r.json, { version: '3.20.3', bytes: 20 }, 'the app\'s own protobuf 3.20.3 is the one imported, and works');
  const st = await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/protobuf'), 15000).catch(() => receiver);
  t.ok(st.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/protobuf'), 'its server span arrived');
  t.same(receiver.errors, [], 'exported as OTLP protobuf all the same');
  t.same(app.injectorLines(), [], 'no otel-injector line');
});

for (const minor of pythons) {
  t.test(`CPython ${minor}: a compatible but different wrapt (1.17.2) in the app: the app's own copy is the one imported, and it is instrumented`, async (t) => {
    const ours = ourVersion(minor, 'wrapt');
    t.not(ours, '1.17.2', `ours is another version (${ours})`);
    const receiver = await startReceiver();
    t.teardown(() => receiver.close());
    const app = await appFor(t, 'own-wrapt', minor, pinned(minor, { wrapt: '1.17.2' }), pythonEnv(receiver.url, 'own-wrapt'));
    const r = await getJson(`${app.url}/module/wrapt`);
    t.equal(r.json.version, '1.17.2', 'import wrapt gives the app\'s version');
    t.match(String(r.json.file), /\/site-packages\/wrapt\//, 'from the app\'s site-packages, not from our zip');
    const st = await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/module/{name}'), 15000).catch(() => receiver);
    t.ok(st.spans.some((x) => x.kind === SERVER && x.attributes['http.route'] === '/module/{name}'), 'instrumented (with the app\'s wrapt)');
    t.same(app.injectorLines(), [], 'no otel-injector line');
  });
}

