// The smoke case of the process models on the CPython minors the full matrices (gunicorn27/gunicorn23, uwsgi,
// workers, multiprocessing: 3.10 and 3.13) leave out: gunicorn with 2 uvicorn_worker.UvicornWorker workers
// serving the FastAPI app, SIGTERM on the production cadence, judged as in the matrix (every worker boots and
// serves, its own identity, each request's span and log from the process that answered, request counts that
// add up, everything at the receiver when the master is gone, the exit as fast as uninjected + 1 s).
// CPython 3.9: gunicorn 23 (gunicorn 27 needs 3.10).
import t from 'tap';
import { gunicornCase } from './support/gunicorn.js';
import { modelsVenv, type Gunicorn } from './support/models.js';
import { ensurePayload } from './support/python.js';
import { startRedis } from './support/servers.js';

await ensurePayload();
const cases: Array<[string, Gunicorn]> = [['3.9', '23'], ['3.11', '27'], ['3.12', '27']];
const [redis, ...venvs] = await Promise.all([startRedis(), ...cases.map(([m, g]) => modelsVenv(m, { gunicorn: g }))]);
t.teardown(() => redis.stop());

for (const [i, [minor, gunicorn]] of cases.entries()) {
  const venv = venvs[i];
  if (venv === undefined) throw new Error('venv missing');
  t.test(`CPython ${minor}, gunicorn ${gunicorn} -k uvicorn_worker.UvicornWorker -w 2`, (t) => gunicornCase(t, venv, { worker: 'uvicorn', preload: false }, redis.url));
}
