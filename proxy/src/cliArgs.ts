/**
 * What the proxy's and the benchmarks' command lines share: an unknown option is an error,
 * --help but no --version, help wrapped to the terminal (at most 110 columns), and a bad argument
 * handed to `fail` as one line ending in "(see --help)" instead of yargs' usage dump.
 */
import type { Argv } from 'yargs';

export function strictCli<T>(args: Argv<T>, fail: (message: string) => never): Argv<T> {
  return args
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message: string | undefined, err: Error | undefined) => fail(`${message ?? err?.message ?? 'bad arguments'} (see --help)`));
}
