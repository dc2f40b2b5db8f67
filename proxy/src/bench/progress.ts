/**
 * Progress of a benchmark on stderr: a bar redrawn in place (at most 10 times a second) when
 * stderr is a terminal; otherwise (CI logs, pipes) one line per finished step, so logs stay short
 * and readable. stdout is left to the results.
 */

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export class Progress {
  private doneSteps = 0;
  private stepLabel = '';
  private stepDone = 0;
  private stepTotal = 0;
  private lastDraw = 0;
  private readonly started = performance.now();

  constructor(
    private readonly totalSteps: number,
    private readonly sink: ProgressSink = process.stderr,
  ) {}

  /** A step (one benchmark cell) begins: `total` operations under `label`. */
  begin(label: string, total: number): void {
    this.stepLabel = label;
    this.stepDone = 0;
    this.stepTotal = total;
    this.draw(true);
  }

  /** `n` more operations of the current step are done. */
  tick(n = 1): void {
    this.stepDone += n;
    this.draw(false);
  }

  /** The step is done; `summary` is its one-line result (printed as is when not a TTY). */
  end(summary: string): void {
    this.doneSteps++;
    if (this.sink.isTTY) this.draw(true);
    else this.sink.write(`[${this.doneSteps}/${this.totalSteps}] ${this.stepLabel}: ${summary}\n`);
  }

  /** Clears the bar (call before printing the results). */
  finish(): void {
    if (this.sink.isTTY) this.sink.write('\r\x1b[2K');
  }

  private draw(force: boolean): void {
    if (!this.sink.isTTY) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = (this.doneSteps + (this.stepTotal > 0 ? this.stepDone / this.stepTotal : 0)) / Math.max(1, this.totalSteps);
    const width = 24;
    const filled = Math.round(Math.min(1, fraction) * width);
    const elapsed = (now - this.started) / 1000;
    const eta = fraction > 0.02 ? ` eta ${formatSeconds(elapsed / fraction - elapsed)}` : '';
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.doneSteps}/${this.totalSteps} ${this.stepLabel} ${this.stepDone}/${this.stepTotal}${eta}`;
    const columns = this.sink.columns ?? 100;
    this.sink.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }
}

function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
