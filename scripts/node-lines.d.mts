// Types of scripts/node-lines.mjs for the TypeScript tests.
export declare const NODE_LINES: Readonly<Record<string, string>>;
export declare const PRELOAD_LINES: readonly string[];
export declare const WEBHOOK_LINES: readonly string[];
export declare const WEBHOOK_LINE: string;
export declare function cacheDir(env?: Record<string, string | undefined>): string;
export declare function nodeBinary(line: string, env?: Record<string, string | undefined>): string;
