/** The last `size` latencies (ms) for percentiles, plus the all-time maximum. */
export class LatencyWindow {
  private readonly values: number[] = [];
  private next = 0;
  max = 0;

  constructor(private readonly size: number) {}

  add(ms: number): void {
    if (this.values.length < this.size) this.values.push(ms);
    else this.values[this.next] = ms;
    this.next = (this.next + 1) % this.size;
    if (ms > this.max) this.max = ms;
  }

  /** The p-th percentile (nearest rank) of the window; 0 when empty. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1]!;
  }
}
