/** The `--stats` report printed at exit, in the spirit of uhyve's `--stats`. */
import type { RunResult } from './vm.js';
import type { ProxyLink } from './proxyLauncher.js';

export async function formatStats(result: RunResult, link: ProxyLink): Promise<string> {
  const kv = result.kv;
  const lines = [
    'hermitkv stats:',
    `  hypercalls      write ${result.hypercalls.write}, exit ${result.hypercalls.exit}, cmdsize ${result.hypercalls.cmdsize}, cmdval ${result.hypercalls.cmdval}`,
    `  kv requests     put ${kv.requests.put}, get ${kv.requests.get}, delete ${kv.requests.delete}, scan ${kv.requests.scan} (${kv.scanKeys} keys)`,
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
  // The proxy's counters come as flat `group.name` keys: one line per group.
  const groups = new Map<string, string[]>();
  for (const [key, value] of Object.entries(proxy)) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    const group = key.slice(0, dot);
    groups.set(group, [...(groups.get(group) ?? []), `${key.slice(dot + 1)} ${String(value)}`]);
  }
  const label = (group: string): string => (group === 's3' ? 'S3 requests' : group);
  for (const [group, items] of groups) lines.push(`  ${label(group).padEnd(15)} ${items.join(', ')}`);
  return lines.join('\n');
}
