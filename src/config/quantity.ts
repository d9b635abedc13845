const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes resource quantity ("100m", "64Mi", "1e3") to a number; undefined if invalid. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, digits, binary, decimal, exponent] = match;
  const base = Number(digits);
  if (binary !== undefined) return base * (BINARY[binary] ?? 1);
  if (decimal !== undefined) return base * (DECIMAL[decimal] ?? 1);
  if (exponent !== undefined) return base * 10 ** Number(exponent);
  return base;
}
