// `pairvol array --config FILE`: run an array in the foreground.
import { ConfigError } from '../array/config.js';
import { runArray } from '../array/main.js';
import { pairsExtension } from '../array/pairs/pairsExtension.js';
import { parseCommandLine, UsageError, type CliCommand } from './output.js';

export const command: CliCommand = {
  summary: 'run a storage array in the foreground',
  usage: 'usage: pairvol array --config FILE\n',
  async run(args) {
    const { values, positionals } = parseCommandLine(args, { config: { type: 'string' } });
    if (values.config === undefined) throw new UsageError('--config FILE is required');
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    try {
      await runArray(values.config, [pairsExtension]);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`pairvol: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    return 0;
  },
};
