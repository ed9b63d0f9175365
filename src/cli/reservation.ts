// `pairvol reserve PAIR --host H | release PAIR --host H | reset PAIR`: the determining pair
// commands of SPEC §6.1/§6.2, for operators and scripts. Exit 0 NORMAL END, 1 ABNORMAL END.
import { displayState } from '../core/types.js';
import { PairedVolumeControl } from '../host/pairedVolumeControl.js';
import type { ReservationResponse } from '../protocol/control.js';
import { ControlClient } from '../protocol/controlClient.js';
import { parseCommandLine, printResult, resolveTarget, TARGET_OPTIONS, UsageError, type CliCommand } from './output.js';
import { renderTable } from './table.js';

type ReservationCommand = 'reserve' | 'release' | 'reset';

const USAGE: Record<ReservationCommand, string> = {
  reserve: 'usage: pairvol reserve PAIR --host HOST [--config FILE] [--json]\n',
  release: 'usage: pairvol release PAIR --host HOST [--config FILE] [--json]\n',
  reset: 'usage: pairvol reset PAIR [--config FILE] [--json]\n',
};
const SUMMARY: Record<ReservationCommand, string> = {
  reserve: 'reserve a determining pair for a host (renews if it already holds it)',
  release: 'release a determining pair held by a host',
  reset: 'break the reservation of a determining pair (challenge)',
};

const OPTIONS = { ...TARGET_OPTIONS, host: { type: 'string' } } as const;

function render(r: Extract<ReservationResponse, { result: 'NORMAL' }>): string {
  const p = r.pair;
  return renderTable(['PAIR', 'ACTION', 'ATTRIBUTE', 'STATE', 'HOLDER', 'PEER'], [
    [p.name, r.action, p.attribute, displayState(p.attribute, p.state), p.holder ?? '-', p.peerConnected ? 'connected' : 'unreachable'],
  ]);
}

async function run(cmd: ReservationCommand, args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  if (positionals.length !== 1) throw new UsageError(`${cmd} needs exactly one PAIR`);
  const [pair] = positionals;
  if (cmd === 'reset' && values.host !== undefined) throw new UsageError('reset takes no --host: it breaks whoever holds the pair');
  if (cmd !== 'reset' && !values.host) throw new UsageError(`${cmd} needs --host HOST`);
  const control = new PairedVolumeControl(new ControlClient(resolveTarget(values.config)));
  const res = cmd === 'reset' ? await control.reset(pair) : cmd === 'reserve' ? await control.reserve(pair, values.host!) : await control.release(pair, values.host!);
  return printResult(res, values.json, render);
}

function command(cmd: ReservationCommand): CliCommand {
  return { summary: SUMMARY[cmd], usage: USAGE[cmd], run: (args) => run(cmd, args) };
}

/** One CliCommand per top-level word, for the table in src/cli/main.ts. */
export const reservationCliCommands: Record<ReservationCommand, CliCommand> = {
  reserve: command('reserve'),
  release: command('release'),
  reset: command('reset'),
};
