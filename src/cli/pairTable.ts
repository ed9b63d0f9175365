// `pair display` as storage admins read `pairdisplay`: one line per side of each pair, (L) the
// array that answered and (R) its peer, then notes for what needs an operator's attention.
import { displayState, type Attribute } from '../core/types.js';
import type { PairInfo } from '../protocol/control.js';
import { renderTable } from './table.js';

const HEADERS = ['Group', 'PairVol(L/R)', 'Array', 'Volume', 'P/S', 'Status', 'Fence', 'Copy%', 'Changed%', 'Holder', 'M'];

/** The peer's attribute: the other end of a P-VOL is the S-VOL and vice versa. */
export function oppositeAttribute(attribute: Attribute): Attribute {
  return attribute === 'P-VOL' ? 'S-VOL' : attribute === 'S-VOL' ? 'P-VOL' : 'SMPL';
}

/** Bytes per second in binary units with one decimal, e.g. "12.5MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)}B/s` : `${value.toFixed(1)}${units[unit]}`;
}

function percent(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Copy progress; while copying also the rate, since that tells how long is left. */
function copyCell(pair: PairInfo): string {
  const done = percent(pair.copyPercent);
  return pair.state === 'COPY' ? `${done} ${formatRate(pair.copyRate)}` : done;
}

function sideRows(pair: PairInfo): string[][] {
  const remoteAttribute = oppositeAttribute(pair.attribute);
  const shared = { group: pair.group ?? '-', fence: pair.fence, copy: copyCell(pair), changed: percent(pair.changedPercent) };
  // `W`: the S-VOL was split writable (pairdisplay's M column), shown on the S-VOL's own line.
  const mark = (attribute: Attribute): string => (attribute === 'S-VOL' && pair.svolWritable ? 'W' : '-');
  return [
    [shared.group, `${pair.name}(L)`, pair.localArray, pair.localVolume, pair.attribute, pair.displayState, shared.fence, shared.copy, shared.changed, pair.holder ?? '-', mark(pair.attribute)],
    [shared.group, `${pair.name}(R)`, pair.remoteArray, pair.remoteVolume, remoteAttribute, displayState(remoteAttribute, pair.state), shared.fence, shared.copy, shared.changed, '-', mark(remoteAttribute)],
  ];
}

function notes(pair: PairInfo): string[] {
  const out: string[] = [];
  if (!pair.peerConnected) out.push(`${pair.name}: peer array ${pair.remoteArray} is not connected; the (R) line is the state last known by ${pair.localArray}`);
  if (pair.splitBrain) out.push(`${pair.name}: split brain, both sides were written; choose with "pairvol pair resync ${pair.name} --discard local|remote"`);
  if (pair.state === 'SSWS') out.push(`${pair.name}: S-VOL taken over by force (SSWS); resolve with "pairvol pair swap ${pair.name}" once the P side is back`);
  return out;
}

export function renderPairTable(pairs: PairInfo[]): string {
  if (pairs.length === 0) return 'no pairs\n';
  const table = renderTable(HEADERS, pairs.flatMap(sideRows));
  const lines = pairs.flatMap(notes);
  return lines.length === 0 ? table : `${table}\n${lines.map((l) => `note: ${l}`).join('\n')}\n`;
}
