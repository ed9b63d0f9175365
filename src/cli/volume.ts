// `pairvol volume create NAME --size 64M [--path P] | list | delete NAME`
import { API, type VolumeInfo, type VolumeListResponse, type VolumeResponse } from '../protocol/control.js';
import { ControlClient } from '../protocol/controlClient.js';
import { formatSize } from '../util/size.js';
import { parseCommandLine, printResult, resolveTarget, TARGET_OPTIONS, UsageError, type CliCommand } from './output.js';
import { renderTable } from './table.js';

const USAGE = `usage:
  pairvol volume create NAME --size SIZE [--path PATH]   SIZE like 64M, 1G, 512K or bytes
  pairvol volume list
  pairvol volume delete NAME
options: --config FILE (array config) or env PAIRVOL_URL + PAIRVOL_TOKEN; --json
`;

const OPTIONS = { ...TARGET_OPTIONS, size: { type: 'string' }, path: { type: 'string' } } as const;

function volumeTable(volumes: VolumeInfo[]): string {
  return renderTable(
    ['NAME', 'SIZE', 'BYTES', 'PAIR', 'PATH'],
    volumes.map((v) => [v.name, formatSize(v.size), String(v.size), v.pair ?? '-', v.path]),
  );
}

function onlyName(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError(`volume ${sub} needs exactly one NAME`);
  return positionals[0];
}

export const command: CliCommand = {
  summary: 'create, list and delete volumes',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseCommandLine(rest, OPTIONS);
    if (sub !== 'create' && (values.size !== undefined || values.path !== undefined)) {
      throw new UsageError('--size and --path only go with volume create');
    }
    switch (sub) {
      case 'create': {
        const name = onlyName(positionals, sub);
        if (values.size === undefined && values.path === undefined) throw new UsageError('volume create needs --size (or --path of an existing device)');
        const client = new ControlClient(resolveTarget(values.config));
        const body = { name, ...(values.size === undefined ? {} : { size: values.size }), ...(values.path === undefined ? {} : { path: values.path }) };
        const res: VolumeResponse = await client.post<{ volume: VolumeInfo }>(API.volumes, body);
        return printResult(res, values.json, (r) => volumeTable([r.volume]));
      }
      case 'list': {
        if (positionals.length > 0) throw new UsageError('volume list takes no NAME');
        const client = new ControlClient(resolveTarget(values.config));
        const res: VolumeListResponse = await client.get<{ volumes: VolumeInfo[] }>(API.volumes);
        return printResult(res, values.json, (r) => volumeTable(r.volumes));
      }
      case 'delete': {
        const name = onlyName(positionals, sub);
        const client = new ControlClient(resolveTarget(values.config));
        const res: VolumeResponse = await client.delete<{ volume: VolumeInfo }>(API.volume(name));
        return printResult(res, values.json, (r) => `volume ${r.volume.name} deleted\n`);
      }
      default:
        throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`);
    }
  },
};
