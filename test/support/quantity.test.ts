import t from 'tap';
import { compareQuantity, parseQuantity, type Quantity } from './quantity.js';

const q = (v: string | number): Quantity => {
  const parsed = parseQuantity(v);
  if (parsed === undefined) throw new Error(`did not parse ${String(v)}`);
  return parsed;
};
const value = (v: string | number): number => Number(q(v).num) / Number(q(v).den);

t.test('parses the forms Kubernetes accepts, exactly', async (t) => {
  t.equal(value('100m'), 0.1);
  t.equal(value('64Mi'), 64 * 2 ** 20);
  t.equal(value('1Gi'), 2 ** 30);
  t.equal(value('0.5'), 0.5);
  t.equal(value('.5'), 0.5);
  t.equal(value('1e3'), 1000);
  t.equal(value('1E3'), 1000);
  t.equal(value('500e-3'), 0.5);
  t.equal(value('128974848'), 128974848);
  t.equal(value('129M'), 129e6);
  t.equal(value('2k'), 2000);
  t.equal(value('1.5Gi'), 1.5 * 2 ** 30);
  t.equal(value(2), 2);
  t.equal(value(0.25), 0.25);
  t.equal(value('-1'), -1);
  t.equal(value('+3'), 3);
  t.equal(value('1Ei'), 2 ** 60);
});

t.test('rejects what kube-apiserver rejects', async (t) => {
  for (const bad of ['', 'abc', '1K', '1KiB', '1mi', '1 Gi', 'Mi', '1.2.3', '1e', '--1', '1Gi1', '0x10', 'NaN', '1m5']) {
    t.equal(parseQuantity(bad), undefined, bad);
  }
  t.equal(parseQuantity(null), undefined);
  t.equal(parseQuantity(Number.NaN), undefined);
  t.equal(parseQuantity({}), undefined);
});

t.test('compares across units exactly', async (t) => {
  t.equal(compareQuantity(q('1Gi'), q('1024Mi')), 0);
  t.equal(compareQuantity(q('1G'), q('1Gi')), -1);
  t.equal(compareQuantity(q('128974848'), q('123Mi')), 0);
  t.equal(compareQuantity(q('128974849'), q('123Mi')), 1);
  t.equal(compareQuantity(q('500m'), q('0.5')), 0);
  t.equal(compareQuantity(q('1'), q('999m')), 1);
  t.equal(compareQuantity(q('1e9'), q('1G')), 0);
  t.equal(compareQuantity(q('100m'), q('0.1000001')), -1);
});
