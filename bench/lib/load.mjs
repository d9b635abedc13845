// One load run with autocannon (in the bench process, never in the server's): keep-alive HTTPS
// connections POSTing the same AdmissionReview. Latency percentiles are computed from every response's
// time (autocannon's own histogram keeps whole milliseconds, too coarse at 1 connection).
import autocannon from 'autocannon';
import { cpuMs } from './servers.mjs';
import { percentile } from './stats.mjs';

/**
 * Runs `connections` connections for `seconds` (or until `amount` responses) against POST /mutate.
 * Returns reviews/s (2xx only), latency p50/p99/max in ms, the count of anything that was not a 2xx, and,
 * given the server's `pid`, its CPU time per review in µs (robust to other load on a shared machine).
 */
export async function runLoad({ port, body, connections, seconds, amount, pid }) {
  const latencies = [];
  const options = {
    url: `https://127.0.0.1:${port}/mutate`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
    timeout: 10,
    tlsOptions: { servername: 'localhost' },
  };
  if (amount === undefined) options.duration = seconds;
  else options.amount = amount;
  const cpuBefore = pid === undefined ? NaN : cpuMs(pid);
  const instance = autocannon(options);
  let ok = 0;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok += 1;
      latencies.push(responseTime);
    }
  });
  const result = await instance;
  const cpuUsPerReview = ((pid === undefined ? NaN : cpuMs(pid)) - cpuBefore) * 1000 / ok;
  latencies.sort((a, b) => a - b);
  const elapsedSeconds = result.duration;
  return {
    connections,
    reviewsPerSecond: ok / elapsedSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    ok,
    failed: result.errors + result.timeouts + result.non2xx,
    cpuUsPerReview,
  };
}
