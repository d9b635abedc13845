import type { Values } from './args.js';
import type { CliIo } from './io.js';
export async function runStatus(_values: Values, _io: CliIo): Promise<number> { return 0; }
