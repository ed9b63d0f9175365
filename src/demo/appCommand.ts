// `pairvol app --nbd URI --log FILE --host NAME`: the demo application in the foreground.
// SIGTERM/SIGINT end it after the record in flight (exit 0); a failed write ends it with 1.
import { runRecordApp } from './recordApp.js';
import { parseCommandLine, UsageError, type CliCommand } from '../cli/output.js';

const USAGE = `usage: pairvol app --nbd nbd://HOST:PORT/VOLUME --log ACK_LOG --host NAME [--interval MS] [--count N]
writes numbered 4 KiB records with FUA and appends "NAME SEQ" to ACK_LOG after each acknowledged one
`;

function positiveInt(text: string | undefined, key: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${key} must be an integer >= ${min}, got "${text}"`);
  return n;
}

export const command: CliCommand = {
  summary: 'the demo application: numbered records through NBD, with an acknowledgement log',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      nbd: { type: 'string' },
      log: { type: 'string' },
      host: { type: 'string' },
      interval: { type: 'string' },
      count: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.nbd || !values.log || !values.host) throw new UsageError('--nbd, --log and --host are required');
    const intervalMs = positiveInt(values.interval, 'interval', 0);
    const count = positiveInt(values.count, 'count', 1);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      const result = await runRecordApp({
        nbdUri: values.nbd,
        ackLog: values.log,
        host: values.host,
        intervalMs,
        count,
        signal: stop.signal,
        onStart: (seq) => process.stdout.write(`pairvol app ${values.host} writing from seq ${seq}\n`),
      });
      process.stdout.write(`pairvol app ${values.host} stopped after ${result.written} records\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`pairvol app ${values.host}: ${(err as Error).message}\n`);
      return 1;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
