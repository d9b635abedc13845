/** What a runtime's entry depends on: where the payload volume is mounted in the app container. */
export interface RuntimeContext {
  readonly mountPath: string;
}

/** How an entry of ours is combined with a value the user set. */
export interface Extension {
  readonly separator: string;
  /**
   * append: the user's value first (NODE_OPTIONS: the user's flags keep their meaning, our --require is added);
   * prepend: ours first (PYTHONPATH: the first sitecustomize on the path is the one Python imports).
   */
  readonly placement: 'append' | 'prepend';
  /**
   * Whether a value of only whitespace counts as no value. True for NODE_OPTIONS (whitespace separates flags);
   * false for PYTHONPATH, where " " is a directory entry of its own and "" (no entry at all) is not the same as
   * ":" (Python reads an empty entry as the current directory).
   */
  readonly blankIsEmpty: boolean;
}

/**
 * Everything that differs per runtime on the webhook side. A runtime is switched on in a container through
 * one environment variable that only this runtime reads; the payload it loads is its own folder in the
 * payload volume, `<mountPath>/<name>/` (built from src/runtimes/<name>/payload/ by src/runtimes/<name>/build.mjs).
 */
export interface Runtime {
  /** Name in INJECT_RUNTIMES, the otel-injector.io/runtimes annotation, the status annotation and the payload folder. */
  readonly name: string;
  /** The variable the runtime reads and the injector extends. */
  readonly variable: string;
  readonly extension: Extension;
  /** What the variable gets: the entry that loads our payload from the mounted volume. */
  entry(context: RuntimeContext): string;
  /** True when the value already loads our payload (an earlier pass of the webhook, or set by hand). */
  loaded(value: string, context: RuntimeContext): boolean;
  /** A reason when the value shows that another injector instruments this runtime in the container. */
  foreign(value: string): string | undefined;
}
