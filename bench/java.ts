// Java payload benchmark: the Spring Boot test service (src/runtimes/java/test/apps/spring, with PostgreSQL,
// Redis and RabbitMQ started here on loopback) started side by side in the same run, alternating rounds,
// medians, on each JDK present:
//   none         no agent
//   agent        JAVA_TOOL_OPTIONS as the webhook writes it (pre-check + upstream agent, all defaults)
//   trimmed      agent + otel.instrumentation.common.default-enabled=false and only the instrumentations
//                this app can use switched back on (TRIMMED below)
//   agent+cache  agent with the JDK's class cache made by a training run of the same variant
//                (JDK 17: dynamic AppCDS, -XX:ArchiveClassesAtExit / -XX:SharedArchiveFile;
//                 JDK 25: the AOT cache, -XX:AOTCacheOutput / -XX:AOTCache, JEP 483/514/515)
//   trimmed+cache, none+cache   the same for those
// Measures: the JVM's uptime when Spring says it started ("process running for"), RSS, heap used and
// metaspace used (jstat -gc) after three requests. The ratio the issue aims at: added startup of the
// best variant / added startup of the plain agent (goal <= 0.5). Trimmed runs are checked to still produce
// the server, JDBC, Redis and RabbitMQ spans.
// Env: ROUNDS (default 2), JDKS (names, default all present), VARIANTS (comma list, default all).
// Run: node --import @tapjs/typescript/import bench/java.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildJava } from '../src/runtimes/java/build.mjs';
import { ROOT, builtApp } from '../src/runtimes/java/test/support/apps.js';
import { jdks, type Jdk } from '../src/runtimes/java/test/support/jvm.js';
import { getText, startSpring } from '../src/runtimes/java/test/support/spring.js';
import { startServers } from '../src/runtimes/python/test/support/servers.js';
import { SERVER, startReceiver } from '../src/runtimes/python/test/support/otlp.js';

const TRIMMED = ['servlet', 'tomcat', 'spring-web', 'spring-webmvc', 'jdbc', 'lettuce', 'rabbitmq', 'spring-rabbit', 'logback-appender', 'runtime-telemetry', 'executors', 'opentelemetry-api'];
const TRIMMED_OPTIONS = ['-Dotel.instrumentation.common.default-enabled=false', ...TRIMMED.map((name) => `-Dotel.instrumentation.${name}.enabled=true`)];

interface Sample { startup: number; cpu: number; rss: number; heap: number; metaspace: number }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2; };

function memory(jdk: Jdk, pid: number): { rss: number; heap: number; metaspace: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  // jstat -gc: the same columns on 17 and 25 (jcmd GC.heap_info has no metaspace line on 25), in KiB.
  const [head = '', row = ''] = spawnSync(join(jdk.java, '..', 'jstat'), ['-gc', String(pid)], { encoding: 'utf8', timeout: 60000 }).stdout.trim().split('\n');
  const values = new Map(head.trim().split(/\s+/).map((name, i) => [name, Number(row.trim().split(/\s+/)[i])]));
  const kib = (name: string): number => values.get(name) ?? NaN;
  const heap = (kib('S0U') + kib('S1U') + kib('EU') + kib('OU')) / 1024;
  const metaspace = kib('MU') / 1024;
  return { rss, heap, metaspace };
}

async function main(): Promise<void> {
  await buildJava(join(ROOT, 'dist', 'payload', 'java'), { quiet: true });
  const rounds = Number(process.env.ROUNDS ?? 2);
  const wantedJdks = (process.env.JDKS ?? '').split(',').filter(Boolean);
  const present = jdks().present.filter((j) => wantedJdks.length === 0 || wantedJdks.includes(j.name));
  const [servers, receiver, dir] = await Promise.all([startServers(), startReceiver(), builtApp('spring')]);
  const scratch = mkdtempSync(join(tmpdir(), 'otel-injector-java-bench-'));
  try {
    for (const jdk of present) {
      const jdk25 = !jdk.name.endsWith('17');
      // JDK 17 refuses to dump an archive while a Java agent runs ("Must enable AllowArchivingWithJavaAgent"):
      // a diagnostic flag (the JDK says: for testing only) is the only way to measure it at all.
      const cacheArgs = (name: string, training: boolean): string[] => {
        const file = join(scratch, `${jdk.name}-${name}.${jdk25 ? 'aot' : 'jsa'}`);
        if (jdk25) return training ? [`-XX:AOTCacheOutput=${file}`] : [`-XX:AOTCache=${file}`];
        const agent = name === 'none' ? [] : ['-XX:+UnlockDiagnosticVMOptions', '-XX:+AllowArchivingWithJavaAgent'];
        return training ? [...agent, `-XX:ArchiveClassesAtExit=${file}`] : [...agent, `-XX:SharedArchiveFile=${file}`];
      };
      const base: Record<string, { agent: boolean; options: string[] }> = {
        none: { agent: false, options: [] }, agent: { agent: true, options: [] }, trimmed: { agent: true, options: TRIMMED_OPTIONS },
      };
      const only = (process.env.VARIANTS ?? '').split(',').filter(Boolean);
      const variants = Object.entries(base).flatMap(([name, v]) => [[name, { ...v, cache: false }], [`${name}+cache`, { ...v, cache: true }]] as const)
        .filter(([name]) => only.length === 0 || only.includes(name) || name === 'none' || name === 'agent');
      let seq = 0;
      const start = async (name: string, v: { agent: boolean; options: string[]; cache: boolean }, training: boolean): Promise<Sample> => {
        seq += 1;
        const service = `bench-${jdk.name}-${name}-${seq}`;
        const jto = [...v.options];
        const userEnv = jto.length > 0 ? [{ name: 'JAVA_TOOL_OPTIONS', value: jto.join(' ') }] : [];
        const args = v.cache ? cacheArgs(name.replace('+cache', ''), training) : [];
        const app = await startSpring(jdk, dir, service, receiver.url, servers, userEnv, args, v.agent);
        try {
          const out = app.proc.stdout();
          const startup = Number(/process running for ([\d.]+)\)/.exec(out)?.[1] ?? NaN);
          // CPU seconds the JVM used to get there (utime + stime, 100 ticks/s): what a busy machine does not distort.
          const stat = readFileSync(`/proc/${app.proc.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
          const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
          for (let i = 0; i < 3; i++) await getText(`${app.url}/items/${i}`);
          if (v.agent && training === false && name.startsWith('trimmed')) {
            await receiver.waitFor((s) => s.spans.some((x) => x.kind === SERVER && x.resource['service.name'] === service)
              && ['postgresql', 'redis'].every((db) => s.spans.some((x) => x.resource['service.name'] === service && (x.attributes['db.system.name'] ?? x.attributes['db.system']) === db))
              && s.spans.some((x) => x.resource['service.name'] === service && x.attributes['messaging.system'] === 'rabbitmq'), 60000)
              .catch(() => console.error(`  ${service}: the trimmed agent lost spans (server/JDBC/Redis/RabbitMQ)`));
          }
          return { startup, cpu, ...memory(jdk, app.proc.pid) };
        } finally {
          await app.proc.signal('SIGTERM', 180000); // the JVM alone: a training run writes its cache at exit
          await app.proc.stop();
        }
      };
      const failed = new Set<string>();
      for (const [name, v] of variants) {
        if (!v.cache) continue;
        await start(name, v, true).catch((err: unknown) => { failed.add(name); console.error(`${jdk.name} ${name}: training run failed: ${String(err).slice(0, 600)}`); });
      }
      const samples = new Map<string, Sample[]>();
      for (let r = 0; r < rounds; r++) {
        for (const [name, v] of variants) {
          if (failed.has(name)) continue;
          const s = await start(name, v, false).catch((err: unknown) => { console.error(`${jdk.name} ${name}: run failed: ${String(err).slice(0, 600)}`); return undefined; });
          if (s === undefined) continue;
          samples.set(name, [...(samples.get(name) ?? []), s]);
          console.error(`${jdk.name} round ${r + 1} ${name}: ${s.startup.toFixed(2)} s (CPU ${s.cpu.toFixed(1)} s), RSS ${s.rss.toFixed(0)} MiB, heap ${s.heap.toFixed(0)} MiB, metaspace ${s.metaspace.toFixed(0)} MiB`);
        }
      }
      const m = (name: string, key: keyof Sample): number => median((samples.get(name) ?? []).map((s) => s[key]));
      console.log(`\n${jdk.name} (${rounds} rounds, medians)   startup s  added s  CPU s  added CPU s   RSS MiB  heap MiB  metaspace MiB`);
      for (const [name] of variants) {
        console.log(`  ${name.padEnd(15)} ${m(name, 'startup').toFixed(2).padStart(8)} ${(m(name, 'startup') - m('none', 'startup')).toFixed(2).padStart(8)} ${m(name, 'cpu').toFixed(1).padStart(6)} ${(m(name, 'cpu') - m('none', 'cpu')).toFixed(1).padStart(8)} ${m(name, 'rss').toFixed(0).padStart(9)} ${m(name, 'heap').toFixed(0).padStart(9)} ${m(name, 'metaspace').toFixed(0).padStart(13)}`);
      }
      const added = (name: string): number => m(name, 'cpu') - m('none', 'cpu');
      const best = variants.filter(([name, v]) => v.agent && name !== 'agent').map(([name]) => name).sort((a, b) => added(a) - added(b))[0];
      if (best !== undefined) console.log(`  goal: added startup CPU of ${best} / plain agent = ${(added(best) / added('agent')).toFixed(2)} (<= 0.5: ${added(best) / added('agent') <= 0.5 ? 'met' : 'NOT met'})`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await receiver.close();
    await servers.stop();
  }
}

await main();
