import { ConfigError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Typed readers over an environment map; each throws ConfigError naming the variable. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new ConfigError(name, `expected a whole number, got "${text}"`);
    const value = Number(text);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const text = this.raw(name)?.toLowerCase();
    if (text === undefined) return fallback;
    if (text === 'true' || text === '1' || text === 'yes') return true;
    if (text === 'false' || text === '0' || text === 'no') return false;
    throw new ConfigError(name, `expected true or false, got "${text}"`);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(text)) {
      throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${text}"`);
    }
    return text as T;
  }

  url(name: string, fallback: string | undefined): string | undefined {
    const text = this.raw(name) ?? fallback;
    if (text === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(name, `expected an http(s) URL, got "${text}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(name, `expected an http(s) URL, got "${text}"`);
    }
    return text;
  }

  list(name: string): string[] {
    const text = this.raw(name);
    if (text === undefined) return [];
    return text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  json(name: string): unknown {
    const text = this.raw(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ConfigError(name, 'is not valid JSON');
    }
  }

  stringArray(name: string, fallback: readonly string[]): readonly string[] {
    const value = this.json(name);
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
      throw new ConfigError(name, 'expected a non-empty JSON array of strings');
    }
    return value as string[];
  }

  stringMap(name: string): Readonly<Record<string, string>> {
    const value = this.json(name);
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(name, 'expected a JSON object of string values');
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, item] of entries) {
      if (typeof item !== 'string') throw new ConfigError(name, `value of "${key}" must be a string`);
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }
}
