// Types for scripts/build-payload.mjs (the checklist test reads it).
export function payloadRuntimes(): string[];
