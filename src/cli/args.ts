import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from './errors.js';

export type CommandName = 'preview' | 'status' | 'doctor' | 'selftest';
export const COMMANDS: readonly CommandName[] = ['preview', 'status', 'doctor', 'selftest'];

type Options = NonNullable<ParseArgsConfig['options']>;

const KUBE_OPTIONS: Options = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'webhook-config': { type: 'string' },
};

const OPTIONS: Record<CommandName, Options> = {
  preview: {
    filename: { type: 'string', short: 'f', multiple: true },
    namespace: { type: 'string', short: 'n' },
    output: { type: 'string', short: 'o' },
    values: { type: 'string', multiple: true },
    'fail-on': { type: 'string' },
  },
  status: {
    ...KUBE_OPTIONS,
    namespace: { type: 'string', short: 'n' },
    'all-namespaces': { type: 'boolean', short: 'A' },
    output: { type: 'string', short: 'o' },
  },
  doctor: {
    ...KUBE_OPTIONS,
    namespace: { type: 'string', short: 'n', multiple: true },
    output: { type: 'string', short: 'o' },
    timeout: { type: 'string' },
    'release-namespace': { type: 'string' },
  },
  selftest: {
    ...KUBE_OPTIONS,
    namespace: { type: 'string', short: 'n' },
    output: { type: 'string', short: 'o' },
  },
};

export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Parsed {
  readonly command: CommandName | 'help' | 'version';
  readonly values: Values;
  readonly positionals: readonly string[];
}

function isCommand(word: string | undefined): word is CommandName {
  return COMMANDS.includes(word as CommandName);
}

function isHelp(word: string | undefined): boolean {
  return word === undefined || word === '-h' || word === '--help' || word === 'help';
}

function parseOptions(command: CommandName, rest: readonly string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: OPTIONS[command], strict: true, allowPositionals: true });
    if (positionals.length > 0) throw usageError(`${command}: unexpected argument "${positionals[0]}"`);
    return { command, values: values as Values, positionals };
  } catch (error) {
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      throw usageError(`${command}: ${error.message.split('\n')[0] ?? error.message}`);
    }
    throw error;
  }
}

/** Splits argv (without node and the script) into the command and its options; throws usage errors. */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const [first, ...rest] = argv;
  if (isHelp(first)) return { command: 'help', values: {}, positionals: rest };
  if (first === '--version' || first === 'version') return { command: 'version', values: {}, positionals: [] };
  if (!isCommand(first)) throw usageError(`unknown command "${String(first)}" (commands: ${COMMANDS.join(', ')}; see --help)`);
  if (rest.includes('-h') || rest.includes('--help')) return { command: 'help', values: {}, positionals: [first] };
  return parseOptions(first, rest);
}

export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: Values, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** The value of -o, checked against what the command offers. */
export function outputOption<T extends string>(values: Values, allowed: readonly T[], fallback: T): T {
  const value = stringOption(values, 'output') ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`-o ${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export const HELP = `otel-injector: preview, status, doctor and selftest for the otel-injector admission webhook

Usage:
  otel-injector preview -f FILE|- [-n NAMESPACE] [--values values.yaml]... [-o text|yaml|json|patch]
                        [--fail-on skipped,bypassed,error,ignored]
  otel-injector status  [-n NAMESPACE | -A] [-o table|json] [--kubeconfig FILE] [--context NAME]
  otel-injector doctor  [-n NAMESPACE]... [-o text|json] [--timeout SECONDS] [--kubeconfig FILE] [--context NAME]
                        [--release-namespace NS]
  otel-injector selftest -n NAMESPACE [-o text|json] [--kubeconfig FILE] [--context NAME]
  (also as a kubectl plugin: kubectl otel-injector ...)

preview   offline: what the webhook would do to each pod template of Pods, Deployments, StatefulSets,
          DaemonSets, ReplicaSets, Jobs and CronJobs (YAML or JSON, several documents, a List).
          Configuration: the webhook's INJECT_* environment variables, or a chart values file (--values).
status    per namespace whether it is opted in, per pod injected / skipped / not seen by the webhook.
doctor    checks the installation: webhook configuration, caBundle, Service and endpoints, failure policy,
          a dry-run pod through the API server, pods not seen, the collector Service, the collector Secret's
          copies (present and current with their sources), the webhook's errors.
selftest  what helm test runs: a dry-run pod in an opted-in namespace must come back instrumented (status
          injected, an init container, each runtime's variable loading the payload); needs only create pods there.
--webhook-config NAME   the MutatingWebhookConfiguration (default otel-injector)
--release-namespace NS  where the chart is installed (default: the webhook Service's namespace)

Exit codes: 0 ok, 1 a check failed (doctor, selftest, preview --fail-on), 2 usage, 3 bad input or kubeconfig,
            4 cluster or webhook unreachable, 5 forbidden (RBAC or credentials), 70 internal error.
`;
