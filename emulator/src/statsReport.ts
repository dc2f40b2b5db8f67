/** The `--stats` report printed at exit, in the spirit of uhyve's `--stats`. */
import type { RunResult } from './vm.js';
import type { ProxyLink } from './proxyLauncher.js';

export async function formatStats(result: RunResult, link: ProxyLink): Promise<string> {
  const kv = result.kv;
  const lines = [
    'hermitkv stats:',
    `  hypercalls      write ${result.hypercalls.write}, exit ${result.hypercalls.exit}, cmdsize ${result.hypercalls.cmdsize}, cmdval ${result.hypercalls.cmdval}`,
    `  kv requests     put ${kv.requests.put}, get ${kv.requests.get}, delete ${kv.requests.delete}`,
    `  kv completions  ${Object.entries(kv.statuses).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    `  rejected        ${kv.rejected + result.rejectedHypercalls} (kv ${kv.rejected}, other hypercalls ${result.rejectedHypercalls}); busy ${kv.busy}`,
    `  in flight (max) ${kv.maxInFlight}`,
    `  bytes           guest→host ${kv.bytesFromGuest}, host→guest ${kv.bytesToGuest}`,
  ];
  const proxy = await link.proxyStats();
  if (!proxy) {
    lines.push(`  proxy           (no statistics: ${link.description})`);
    return lines.join('\n');
  }
  const where = [proxy.engine, proxy.endpoint, proxy.bucket, proxy.prefix].filter((v) => v !== undefined).join(' ');
  lines.push(`  proxy           ${where}`);
  for (const [group, label] of [
    ['s3', 'S3 requests'],
    ['engine', 'engine'],
    ['ipc', 'ipc'],
  ] as const) {
    const entries = Object.entries(proxy).filter(([k]) => k.startsWith(`${group}.`));
    if (entries.length) lines.push(`  ${label.padEnd(15)} ${entries.map(([k, v]) => `${k.slice(group.length + 1)} ${String(v)}`).join(', ')}`);
  }
  return lines.join('\n');
}
