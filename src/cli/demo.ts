// `pairvol demo`: for now one array in a temporary directory, one volume, shown by nbdinfo.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateArrayConfig, formatHostPort } from '../array/config.js';
import { startArray } from '../array/main.js';
import { createLogger } from '../log.js';
import { API, type VolumeResponse } from '../protocol/control.js';
import { ControlClient } from '../protocol/controlClient.js';
import { parseCommandLine, printResult, UsageError, type CliCommand } from './output.js';

export const command: CliCommand = {
  summary: 'start a throwaway array on this machine, create a volume and show it over NBD',
  usage: 'usage: pairvol demo\n',
  async run(args) {
    const { positionals } = parseCommandLine(args, {});
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const dir = mkdtempSync(join(tmpdir(), 'pairvol-demo-'));
    const configFile = join(dir, 'site-a.yaml');
    const config = validateArrayConfig(
      {
        name: 'site-a',
        dataDir: './data',
        nbd: { listen: '127.0.0.1:0' },
        control: { listen: '127.0.0.1:0', token: 'demo-token' },
        peer: { listen: '127.0.0.1:0', connect: '127.0.0.1:0', secret: 'demo-secret' },
        logLevel: 'warn',
      },
      configFile,
    );
    const array = await startArray(config, createLogger('array:site-a', config.logLevel));
    try {
      const control = `http://${formatHostPort(array.control)}`;
      console.log(`array site-a running: data in ${config.dataDir}, control ${control}, nbd ${formatHostPort(array.nbd)}\n`);
      console.log('$ pairvol volume create demo --size 64M');
      const client = new ControlClient({ url: control, token: config.control.token });
      const created: VolumeResponse = await client.post(API.volumes, { name: 'demo', size: '64M' });
      if (printResult(created, false, () => '') !== 0) return 1;
      const uri = `nbd://${formatHostPort(array.nbd)}/demo`;
      console.log(`volume demo created; exported as ${uri}\n\n$ nbdinfo ${uri}`);
      // Asynchronous: the array serving nbdinfo runs in this very process.
      const status = await new Promise<number | null>((resolve) => {
        const nbdinfo = spawn('nbdinfo', [uri], { stdio: 'inherit' });
        nbdinfo.once('error', (err) => {
          console.log(`(nbdinfo not available: ${err.message}; install libnbd-bin)`);
          resolve(null);
        });
        nbdinfo.once('exit', (code) => resolve(code));
      });
      return status === 0 ? 0 : 1;
    } finally {
      await array.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
