// Kubernetes resource.Quantity, as k8s.io/apimachinery/pkg/api/resource parses it:
// <signedNumber><suffix>, suffix one of the binary SI (Ki..Ei), the decimal SI
// (n u m "" k M G T P E) or a decimal exponent (e3, E-2). A JSON number is
// accepted too (Quantity.UnmarshalJSON reads the number's text).
// The value is kept exact as a fraction num/den (den > 0) so comparisons are exact.

export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
  readonly text: string;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function suffixFactor(suffix: string): { mul: bigint; div: bigint } {
  const bin = BINARY[suffix];
  if (bin !== undefined) return { mul: 2n ** BigInt(bin), div: 1n };
  const dec = DECIMAL[suffix] ?? (suffix === '' ? 0 : Number(suffix.slice(1)));
  return dec >= 0 ? { mul: 10n ** BigInt(dec), div: 1n } : { mul: 1n, div: 10n ** BigInt(-dec) };
}

function quantityText(input: unknown): string | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? String(input) : undefined;
  return typeof input === 'string' ? input.trim() : undefined;
}

function fromParts(sign: string, digits: string, suffix: string, text: string): Quantity {
  const [whole = '', frac = ''] = digits.split('.');
  const mantissa = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  const { mul, div } = suffixFactor(suffix);
  return { num: mantissa * mul, den: 10n ** BigInt(frac.length) * div, text };
}

/** Parses a quantity (string or JSON number); undefined when kube-apiserver would reject it. */
export function parseQuantity(input: unknown): Quantity | undefined {
  const text = quantityText(input);
  const m = text === undefined ? null : QUANTITY.exec(text);
  if (m === null || text === undefined) return undefined;
  return fromParts(m[1] ?? '', m[2] ?? '', m[3] ?? '', text);
}

/** -1, 0 or 1 as a < b, a == b, a > b. */
export function compareQuantity(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isNegative(q: Quantity): boolean {
  return q.num < 0n;
}
