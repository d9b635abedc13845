// Types for scripts/pythons.mjs (the supported CPython minors, from pythons.json).
export const PAYLOAD_SRC: string;
export const BUILD_LIB_SRC: string;
export const PYTHONS_FILE: string;
export const PYTHONS: Array<{ minor: string; requirements: string; image: string }>;
export const MINORS: string[];
export const OLDEST: string;
export const NEWEST: string;
export function cpTag(minor: string): string;
export function requirementsOf(minor: string): string;
export function dockerfileSections(pythons?: Array<{ minor: string; requirements: string; image: string }>): Record<string, string[]>;
export function renderDockerfile(text: string, pythons?: Array<{ minor: string; requirements: string; image: string }>): string;
