// `pairvol <command> ...`: looks the command up in a table of modules (each exports
// `command: CliCommand`), so `pair`, `reserve`, `host` ... are added by adding a line here.
import type { CliCommand } from './output.js';
import { UsageError } from './output.js';

const COMMANDS: Record<string, () => Promise<{ command: CliCommand }>> = {
  array: () => import('./array.js'),
  volume: () => import('./volume.js'),
  pair: () => import('./pair.js'),
  host: () => import('./host.js'),
  reserve: async () => ({ command: (await import('./reservation.js')).reservationCliCommands.reserve }),
  release: async () => ({ command: (await import('./reservation.js')).reservationCliCommands.release }),
  reset: async () => ({ command: (await import('./reservation.js')).reservationCliCommands.reset }),
  demo: () => import('./demo.js'),
  app: () => import('../demo/appCommand.js'),
};

async function usage(): Promise<string> {
  const lines = ['usage: pairvol <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(8)} ${command.summary}`);
  }
  lines.push('', 'Commands that talk to an array take --config FILE (the array config) or use', 'PAIRVOL_URL and PAIRVOL_TOKEN; every one takes --json.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`pairvol: unknown command "${name}"\n${await usage()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pairvol ${name}: ${err.message}\n${command.usage}`);
      return 2;
    }
    process.stderr.write(`pairvol: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
