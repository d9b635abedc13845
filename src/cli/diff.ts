/** A unified diff of two texts, line by line, with `context` unchanged lines around each change. */
export function unifiedDiff(before: string, after: string, labels: readonly [string, string], context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const ops = lineOps(a, b);
  const hunks = hunksOf(ops, context);
  if (hunks.length === 0) return '';
  return [`--- ${labels[0]}`, `+++ ${labels[1]}`, ...hunks.flatMap((hunk) => renderHunk(ops, hunk))].join('\n');
}

interface Op {
  readonly type: ' ' | '-' | '+';
  readonly line: string;
  readonly aLine: number;
  readonly bLine: number;
}

/** Longest common subsequence over lines (pod templates are a few hundred lines: O(n·m) is fine). */
function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  // Removals before additions, as diff(1) shows a changed line.
  const takeA = (): boolean => i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!);
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ type: ' ', line: a[i++]!, aLine: i, bLine: ++j });
    else if (takeA()) ops.push({ type: '-', line: a[i++]!, aLine: i, bLine: j });
    else ops.push({ type: '+', line: b[j++]!, aLine: i, bLine: j });
  }
  return ops;
}

function hunksOf(ops: readonly Op[], context: number): Array<[number, number]> {
  const hunks: Array<[number, number]> = [];
  ops.forEach((op, index) => {
    if (op.type === ' ') return;
    const start = Math.max(0, index - context);
    const end = Math.min(ops.length, index + context + 1);
    const last = hunks.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else hunks.push([start, end]);
  });
  return hunks;
}

function renderHunk(ops: readonly Op[], [start, end]: [number, number]): string[] {
  const slice = ops.slice(start, end);
  const aCount = slice.filter((op) => op.type !== '+').length;
  const bCount = slice.filter((op) => op.type !== '-').length;
  const first = slice[0]!;
  const aStart = first.type === '+' ? first.aLine + 1 : first.aLine;
  const bStart = first.type === '-' ? first.bLine + 1 : first.bLine;
  const header = `@@ -${aStart}${aCount === 1 ? '' : `,${aCount}`} +${bStart}${bCount === 1 ? '' : `,${bCount}`} @@`;
  return [header, ...slice.map((op) => `${op.type}${op.line}`)];
}
