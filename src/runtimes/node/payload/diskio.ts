/** system.disk.io and system.disk.operations from /proc/diskstats (Linux); silent elsewhere. */
import { readFileSync } from 'node:fs';
import type { MeterProvider } from '@opentelemetry/api';

interface DiskSample {
  device: string;
  readOps: number;
  writeOps: number;
  readBytes: number;
  writeBytes: number;
}

export function parseDiskstats(text: string): DiskSample[] {
  const out: DiskSample[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    if (f.length < 14 || device === undefined || /^(loop|ram|zram)/.test(device)) continue;
    out.push({
      device,
      readOps: Number(f[3]),
      readBytes: Number(f[5]) * 512,
      writeOps: Number(f[7]),
      writeBytes: Number(f[9]) * 512,
    });
  }
  return out;
}

function read(): DiskSample[] {
  try {
    return parseDiskstats(readFileSync('/proc/diskstats', 'utf8'));
  } catch {
    return [];
  }
}

export function startDiskMetrics(provider: MeterProvider): void {
  const meter = provider.getMeter('otel-injector-disk');
  const io = meter.createObservableCounter('system.disk.io', { unit: 'By', description: 'Disk bytes transferred' });
  const ops = meter.createObservableCounter('system.disk.operations', { unit: '{operation}', description: 'Disk operations' });
  meter.addBatchObservableCallback((result) => {
    for (const s of read()) {
      result.observe(io, s.readBytes, { 'system.device': s.device, 'disk.io.direction': 'read' });
      result.observe(io, s.writeBytes, { 'system.device': s.device, 'disk.io.direction': 'write' });
      result.observe(ops, s.readOps, { 'system.device': s.device, 'disk.io.direction': 'read' });
      result.observe(ops, s.writeOps, { 'system.device': s.device, 'disk.io.direction': 'write' });
    }
  }, [io, ops]);
}
