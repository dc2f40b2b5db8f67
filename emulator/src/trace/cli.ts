/** `npm run trace -- FILE [--json]`: a summary of a `npm start -- --trace FILE` run. */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatSummary, parseTrace, summarize } from './summary.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run trace --')
  .usage('$0 FILE [--json]\n\nSummarises a trace written by `npm start -- --trace FILE`.')
  .command('$0 <file>', false)
  .positional('file', { type: 'string', demandOption: true, describe: 'trace file (JSON lines)' })
  .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
  .strict()
  .help()
  .version(false)
  .parseSync();

try {
  const summary = summarize(parseTrace(readFileSync(argv.file, 'utf8')));
  console.log(argv.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
} catch (err) {
  console.error(`hermitkv trace: ${argv.file}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
