// The status annotation's values as the webhook writes them and the controller and CLI read them.
import t from 'tap';
import { injectedStatus, parseStatus, skippedStatus } from '../../../src/k8s/contract/status.js';

t.test('what the webhook writes reads back', async (t) => {
  t.same(parseStatus(injectedStatus(['node', 'python'])), { state: 'injected', detail: 'node,python' });
  t.same(parseStatus(injectedStatus(['python'], ['A', 'B'])), { state: 'injected', detail: 'python; env forced: A,B' });
  t.same(parseStatus(skippedStatus('windows pod')), { state: 'skipped', detail: 'windows pod' });
  t.equal(injectedStatus(['node']), 'injected: node');
  t.equal(skippedStatus('owner kind Job is skipped by configuration'), 'skipped: owner kind Job is skipped by configuration');
});

t.test('anything else is no status of ours', async (t) => {
  t.equal(parseStatus(undefined), undefined);
  t.equal(parseStatus(''), undefined);
  t.equal(parseStatus('injectedness: high'), undefined, 'a longer word is not the state');
  t.equal(parseStatus('Injected: node'), undefined, 'case matters');
  t.same(parseStatus('injected'), { state: 'injected', detail: '' }, 'the bare state');
});
