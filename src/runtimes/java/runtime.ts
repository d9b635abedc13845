import type { Runtime, RuntimeContext } from '../types.js';

/** Folder of the Java payload inside the mount (src/runtimes/java/payload/, built by build.mjs into dist/payload/java/). */
export const JAVA_DIR = 'java';

/** The upstream agent's file name in the payload (payload/agent.json `file`). */
export const AGENT_FILE = 'opentelemetry-javaagent.jar';

/**
 * The jar JAVA_TOOL_OPTIONS names: our pre-check (payload/launcher/), which loads the upstream agent next to
 * it unless the JVM's command line already has another -javaagent (which the webhook cannot see).
 */
export const LAUNCHER_FILE = 'otel-injector-javaagent.jar';

// A -javaagent option: `-javaagent:<jar>[=<options>]`, a whole whitespace-separated word.
const JAVAAGENT = /(?:^|\s)-javaagent:(\S+)/g;

// The OpenTelemetry Operator's Java injection: -javaagent:/otel-auto-instrumentation-java/javaagent.jar
const OPERATOR = /otel-auto-instrumentation/;

/** `-javaagent:<mount>/java/otel-injector-javaagent.jar`: what JAVA_TOOL_OPTIONS gets. */
export function javaagentFlag(context: RuntimeContext): string {
  return `-javaagent:${context.mountPath}/${JAVA_DIR}/${LAUNCHER_FILE}`;
}

/** Our jars in the mount: the pre-check, and the upstream agent (named directly by hand). */
function ourJars(context: RuntimeContext): string[] {
  return [LAUNCHER_FILE, AGENT_FILE].map((file) => `${context.mountPath}/${JAVA_DIR}/${file}`);
}

/** The jars of every -javaagent option in a JAVA_TOOL_OPTIONS value (options after `=` dropped). */
export function javaagents(value: string): string[] {
  return [...value.matchAll(JAVAAGENT)].map((match) => (match[1] ?? '').split('=', 1)[0] ?? '');
}

/**
 * Java: JAVA_TOOL_OPTIONS gets `-javaagent:` for our pre-check in front of the upstream OpenTelemetry agent, appended to the user's
 * options (which keep their meaning). The JVM reads the variable before the command line, so every JVM in
 * the container (the app, and any JVM tool it starts) loads the agent; the agent takes its settings from the
 * OTEL_* variables every runtime gets. Any other -javaagent already in the variable means another agent
 * instruments this JVM: two agents would double every span, so the runtime steps aside.
 */
export const java: Runtime = Object.freeze({
  name: 'java',
  variable: 'JAVA_TOOL_OPTIONS',
  extension: Object.freeze({ separator: ' ', placement: 'append', blankIsEmpty: true }),
  entry: javaagentFlag,
  loaded: (value: string, context: RuntimeContext): boolean => javaagents(value).some((jar) => ourJars(context).includes(jar)),
  foreign: (value: string): string | undefined => {
    const agents = javaagents(value);
    if (agents.some((jar) => OPERATOR.test(jar))) return 'instrumented by another injector';
    return agents.length > 0 ? 'JAVA_TOOL_OPTIONS already loads a -javaagent (another agent instruments this JVM)' : undefined;
  },
});
