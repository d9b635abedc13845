// The process: reads the environment and the package version, parses the configuration once, runs one of
// the two programs (src/programs/: the webhook, or with the argument `controller` the controller), listens
// for it and turns SIGTERM/SIGINT into its stop. The only place that touches process.env, listens and
// handles signals.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseConfig, type Config } from './config/index.js';
import { ConfigError } from './errors.js';
import { controllerProgram } from './programs/controller.js';
import type { Program, ProgramContext, StopSignal } from './programs/program.js';
import { webhookProgram } from './programs/webhook.js';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function loadConfig(version: string): Config {
  try {
    return parseConfig(process.env, version);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`otel-injector: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

/** The Kubernetes client is loaded only when a program needs it: it is most of the startup time otherwise. */
async function loadKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig: Loader } = await import('@kubernetes/client-node');
  const kubeConfig = new Loader();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The first SIGTERM or SIGINT stops the program (later ones are ignored); exit 0 when done or at its deadline. */
function handleSignals(program: Program): void {
  let stopping = false;
  const stop = (signal: StopSignal): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), program.stopDeadlineMs(signal)).unref();
    void program.stop(signal).finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const version = readVersion();
  const config = loadConfig(version);
  const context: ProgramContext = { version, hostname: hostname(), loadKubeConfig };
  const program = process.argv[2] === 'controller' ? await controllerProgram(config, context) : await webhookProgram(config, context);
  if (program === undefined) return;
  handleSignals(program);
  await program.app.listen(program.listen);
  await program.started();
}

main().catch((error: unknown) => {
  process.stderr.write(`otel-injector: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
