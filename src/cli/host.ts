// `pairvol host --config FILE` (run the cluster agent), `pairvol host status [--url URL]`,
// `pairvol host switchover [--url URL]`. The status commands talk to a running agent's status
// API: --url, or the status.listen of --config FILE, or PAIRVOL_HOST_URL.
import { ConfigError, formatHostPort } from '../array/config.js';
import { loadHostConfig } from '../host/config.js';
import { runHost } from '../host/main.js';
import { STATUS_API, type HostStatus, type HostStatusResponse, type SwitchoverResponse } from '../host/statusApi.js';
import { ControlClient } from '../protocol/controlClient.js';
import { parseCommandLine, printResult, UsageError, type CliCommand } from './output.js';
import { renderTable } from './table.js';

const USAGE = `usage:
  pairvol host --config FILE                  run the cluster agent (foreground)
  pairvol host status [--url URL] [--json]    role, reservation, heartbeat paths, pairs, recent decisions
  pairvol host switchover [--url URL] [--json]
the agent is found by --url, by --config FILE (its status.listen) or by PAIRVOL_HOST_URL
`;

const OPTIONS = { json: { type: 'boolean', default: false }, config: { type: 'string' }, url: { type: 'string' } } as const;

function agentUrl(values: { url?: string; config?: string }): string {
  if (values.url) return values.url;
  if (values.config) {
    try {
      return `http://${formatHostPort(loadHostConfig(values.config).status.listen)}`;
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (process.env.PAIRVOL_HOST_URL) return process.env.PAIRVOL_HOST_URL;
  throw new UsageError('no agent given: use --url URL, --config FILE or PAIRVOL_HOST_URL');
}

function age(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`;
}

export function renderStatus(s: HostStatus): string {
  const d = s.determining;
  const lines = [
    `host ${s.name}: ${s.role}${s.preferred ? ' (preferred)' : ''}${s.heartbeatFault ? '  HEARTBEAT-NETWORK FAULT' : ''}`,
    `determining pair ${d.name}: ${d.error ?? `${d.attribute} ${d.state}, holder ${d.holder ?? '-'}`}`,
    '',
    renderTable(['PEER', 'ROLE', 'ALIVE', 'TCP AGE', 'UDP AGE'], s.peers.map((p) => [p.name, p.role, p.alive ? 'yes' : 'no', age(p.paths.tcp), age(p.paths.udp)])),
    renderTable(
      ['PAIR', 'ATTRIBUTE', 'STATE', 'ACCESS', 'PEER'],
      s.dataPairs.map((p) => (p.error ? [p.name, '-', '-', '-', p.error] : [p.name, p.attribute ?? '-', p.state ?? '-', p.access ?? '-', p.peerConnected ? 'connected' : 'unreachable'])),
    ),
    'recent decisions:',
    ...s.events.slice(-10).map((e) => `  ${e.time} ${e.level.padEnd(5)} ${e.event}: ${e.reason}`),
  ];
  return lines.join('\n') + '\n';
}

async function run(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === 'status' || first === 'switchover') {
    const { values, positionals } = parseCommandLine(rest, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`host ${first} takes no arguments`);
    const client = new ControlClient({ url: agentUrl(values), token: '' });
    if (first === 'status') {
      const res: HostStatusResponse = await client.get(STATUS_API.status);
      return printResult(res, values.json, (r) => renderStatus(r.status));
    }
    const res: SwitchoverResponse = await client.post(STATUS_API.switchover);
    return printResult(res, values.json, () => 'switchover started: the application moves to the peer\n');
  }
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unknown subcommand "${positionals[0]}"`);
  if (!values.config) throw new UsageError('host needs --config FILE (or a subcommand: status, switchover)');
  try {
    return await runHost(values.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message); // exit 2, message names the key
    throw err;
  }
}

/** For the command table in src/cli/main.ts (`host: () => import('./host.js')`). */
export const command: CliCommand = { summary: 'run the cluster agent, show its status, or switch over', usage: USAGE, run };

