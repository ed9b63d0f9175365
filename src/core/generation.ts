// Generation ids (SPEC §3.4, modelled on DRBD's generation identifiers): on reconnect they
// tell which side is newer, and refuse an automatic resync when both sides were written
// independently (split brain).
//
// Rules for the array:
// - A side forks (new current id, parent = old current) when it starts accepting host writes
//   while its peer is not receiving them: a P-VOL going PSUE (or PSUS) that takes a write,
//   an S-VOL taken over (SSWS) or split --svol-writable that takes a write. Fork once per
//   period apart: a side whose parent is the peer's current id is already ahead.
// - When a resync or swap resync completes, the copy target adopts the source's generation.

/** Ids are opaque strings (e.g. random UUIDs supplied by the caller: this module has no randomness). */
export interface Generation {
  current: string;
  parent: string | null;
}

export type GenerationOrder = 'same' | 'local-newer' | 'remote-newer' | 'split-brain' | 'unrelated';

export function forkGeneration(g: Generation, newId: string): Generation {
  if (newId === g.current) throw new RangeError(`a fork needs a new generation id, got the current one (${newId})`);
  return { current: newId, parent: g.current };
}

/**
 * 'split-brain' and 'unrelated' both need an operator's choice of the side to discard;
 * 'unrelated' means the two volumes never shared data (no common generation at all).
 */
export function compareGenerations(local: Generation, remote: Generation): GenerationOrder {
  if (local.current === remote.current) return 'same';
  if (local.parent === remote.current) return 'local-newer';
  if (remote.parent === local.current) return 'remote-newer';
  if (local.parent !== null && local.parent === remote.parent) return 'split-brain';
  return 'unrelated';
}
