// How the demo shows a lab snapshot: a table (one row per site) for a terminal, and a one-line
// summary for logs and CI, where only changes of that line are printed.
import { renderTable } from '../cli/table.js';
import { SITES } from '../lab/lab.js';
import type { PairInfo } from '../protocol/control.js';
import type { LabSnapshot } from './snapshot.js';

function pairCell(p: PairInfo | null, withHolder: boolean): string {
  if (!p) return 'down';
  const holder = withHolder && p.holder ? ` held by ${p.holder}` : '';
  return `${p.attribute} ${p.displayState}${holder}`;
}

function copyCell(p: PairInfo | null): string {
  if (!p) return '-';
  if (p.state === 'COPY') return `${p.copyPercent}% copied`;
  if (p.state === 'PAIR') return 'in sync';
  return p.changedPercent > 0 ? `${p.changedPercent}% changed` : '-';
}

export function renderStatusTable(s: LabSnapshot): string {
  const rows = SITES.map((site) => {
    const host = s.status.hosts[site];
    const view = s.status.arrays[site];
    return [
      `site-${site}`,
      host ? host.role : 'down',
      s.appRunning[site] ? 'running' : '-',
      String(s.acks[site]),
      pairCell(view.quorum, true),
      pairCell(view.db, false),
      view.db?.access ?? '-',
      copyCell(view.db),
    ];
  });
  const table = renderTable(['SITE', 'HOST AGENT', 'APP', 'ACKED', 'DETERMINING (quorum)', 'DATA (db)', 'ACCESS', 'COPY'], rows);
  const faults = s.faults.length > 0 ? s.faults.join(', ') : 'none';
  return `${table}faults now: ${faults}\n`;
}

/** Roles, pair states and holder, without the counters: a new line in plain output means something changed. */
export function summaryLine(s: LabSnapshot): string {
  return SITES.map((site) => {
    const host = s.status.hosts[site];
    const view = s.status.arrays[site];
    return `host-${site} ${host ? host.role : 'down'}${s.appRunning[site] ? '+app' : ''}, site-${site} db ${pairCell(view.db, false)}, quorum ${pairCell(view.quorum, true)}`;
  }).join(' | ');
}
