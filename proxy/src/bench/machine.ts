/** What a benchmark result needs to say about where it ran, so numbers are never compared blind. */
import os from 'node:os';

export interface MachineFacts {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  arch: string;
  kernel: string;
  node: string;
  loadAverage1m: number;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    node: process.version,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export function describeMachine(m: MachineFacts): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}/${m.arch} ${m.kernel}, Node ${m.node}`;
}
