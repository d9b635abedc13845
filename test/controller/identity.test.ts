// The leader identity: host plus a random suffix per process, so replicas (or a restarted container) that
// share a host name never share an identity.
import t from 'tap';
import { identityHost, leaderIdentity } from '../../src/controller/identity.js';

t.test('two identities made for the same host differ, and both name the host', async (t) => {
  const a = leaderIdentity('otel-injector-controller-7d9f8b6c5-x2vqz');
  const b = leaderIdentity('otel-injector-controller-7d9f8b6c5-x2vqz');
  t.not(a, b, 'a random suffix each time');
  for (const id of [a, b]) {
    t.match(id, /^otel-injector-controller-7d9f8b6c5-x2vqz_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'host_uuid, as client-go makes it');
    t.equal(identityHost(id), 'otel-injector-controller-7d9f8b6c5-x2vqz');
  }
  t.equal(identityHost('someone-else'), 'someone-else', 'an identity without a suffix (another client) is its own host');
});
