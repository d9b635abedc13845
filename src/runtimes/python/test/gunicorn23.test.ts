// gunicorn 23 (the previous major, the one the report names) in the same matrix as gunicorn27.test.ts:
// sync, gthread and uvicorn_worker.UvicornWorker, with and without --preload, --max-requests, the user's own
// hooks, on CPython 3.10 and 3.13; every worker boots and serves, each request's span and log arrive from the
// process that answered, one identity per process, request counts add up, SIGTERM on the production cadence
// flushes everything before the master is gone, the exit as fast as uninjected + 1 s. (The unreachable
// collector cases run once, with gunicorn 27; 3.9 runs gunicorn 23 in minors.test.ts.)
import t from 'tap';
import { CONFIGS, gunicornCase, label } from './support/gunicorn.js';
import { modelsVenv } from './support/models.js';
import { ensurePayload } from './support/python.js';
import { startRedis } from './support/servers.js';

await ensurePayload();
const minors = ['3.10', '3.13'];
const [redis, ...venvs] = await Promise.all([startRedis(), ...minors.map((m) => modelsVenv(m, { gunicorn: '23' }))]);
t.teardown(() => redis.stop());

for (const [i, minor] of minors.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  for (const c of CONFIGS) {
    t.test(`CPython ${minor}, gunicorn 23 ${label(c)}`, (t) => gunicornCase(t, venv, c, redis.url));
  }
}
