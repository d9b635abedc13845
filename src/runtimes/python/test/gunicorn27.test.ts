// gunicorn 27 (the newest release) in every worker model the first user's services could run under: sync,
// gthread and uvicorn_worker.UvicornWorker, with and without --preload, with --max-requests (recycled workers'
// telemetry must arrive too) and the user's own post_fork/post_worker_init hooks; on the lowest and the highest
// CPython gunicorn 27 supports (3.10, 3.13). Every worker must boot and serve (a forked child used to hang);
// judged on the receiver the moment the master has exited after SIGTERM on the production cadence: each
// request's span and log from the process that answered, one identity per process, request counts that add
// up; the exit as fast as uninjected + 1 s; and bounded the same way with a collector that refuses or hangs.
import t from 'tap';
import { CONFIGS, gunicornCase, label, unreachableCase } from './support/gunicorn.js';
import { modelsVenv } from './support/models.js';
import { ensurePayload } from './support/python.js';
import { startRedis } from './support/servers.js';

await ensurePayload();
const minors = ['3.10', '3.13'];
const [redis, ...venvs] = await Promise.all([startRedis(), ...minors.map((m) => modelsVenv(m, { gunicorn: '27' }))]);
t.teardown(() => redis.stop());

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  for (const c of CONFIGS) {
    t.test(`CPython ${minor}, gunicorn 27 ${label(c)}`, (t) => gunicornCase(t, venv, c, redis.url));
  }
}

const high = venvs.at(-1);
if (high === undefined) throw new Error('venv missing');
for (const worker of ['sync', 'uvicorn'] as const) {
  t.test(`CPython 3.13, gunicorn 27 -k ${worker}: collector refusing connections`, (t) => unreachableCase(t, high, worker, redis.url, 'refuse'));
}
t.test('CPython 3.13, gunicorn 27 -k gthread: collector accepting and never answering', (t) => unreachableCase(t, high, 'gthread', redis.url, 'blackhole'));
