export function sharedCacheDir(name: string, env?: NodeJS.ProcessEnv): string;
