/** What machine and how loaded it was: printed with every result (ratios matter, not absolutes). */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly kernel: string;
  readonly memTotalMb: number;
  readonly loadavg: readonly number[];
  readonly at: string;
}

export function machineInfo(): MachineInfo {
  let nproc = os.cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    /* os.cpus() is good enough */
  }
  return {
    nproc,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    memTotalMb: Math.round(os.totalmem() / 2 ** 20),
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    at: new Date().toISOString(),
  };
}

export const loadNow = (): number => Number(os.loadavg()[0]!.toFixed(2));
