// Pair commands on the command device (SPEC §3, §5, §6): list/show/create/delete pairs, the
// pair operations (split, resync, swap, takeover), the determining-pair reservation (reserve,
// release, reset) and group split/resync. Every request is validated before the pair layer sees
// it, so bad input answers 400 bad-request naming the field and changes nothing. Registered with
// `app.register(pairRoutes, { pairs })` inside the app of buildControlApi (auth, error answers).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FENCES } from '../../core/types.js';
import { API, type PairListResponse, type PairResponse } from '../../protocol/control.js';
import type { PairOp, PairService } from '../pairs/pairService.js';
import { ApiError, parseInput, send } from './server.js';

export interface PairRoutesOptions {
  pairs: PairService;
}

/** Names of pairs, volumes, groups and hosts: what an operator can type and a URL can carry. */
export const nameSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 . _ -');

const nameParams = z.object({ name: nameSchema });
const groupParams = z.object({ group: nameSchema });

const createBody = z.strictObject({
  name: nameSchema,
  pvol: nameSchema,
  svol: nameSchema,
  fence: z.enum(FENCES).optional(),
  nocopy: z.boolean().optional(),
  group: nameSchema.optional(),
  pace: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
const splitBody = z.strictObject({ svolWritable: z.boolean().optional() });
const resyncBody = z.strictObject({ discard: z.enum(['local', 'remote']).optional() });
const emptyBody = z.strictObject({});
const takeoverBody = z.strictObject({ force: z.boolean().optional() });
const reservationBody = z.strictObject({ host: nameSchema });

/** The body of a pair operation, checked and turned into the PairOp the pair layer takes. */
const opParsers: Record<'split' | 'resync' | 'swap' | 'takeover', (body: unknown) => PairOp> = {
  split: (body) => ({ kind: 'split', svolWritable: parseInput(splitBody, body, 'body').svolWritable ?? false }),
  resync: (body) => {
    const { discard } = parseInput(resyncBody, body, 'body');
    return discard === undefined ? { kind: 'resync' } : { kind: 'resync', discard };
  },
  swap: (body) => {
    parseInput(emptyBody, body, 'body');
    return { kind: 'swap' };
  },
  takeover: (body) => ({ kind: 'takeover', force: parseInput(takeoverBody, body, 'body').force ?? false }),
};

/** A missing body is an empty one: `pair swap` needs no options. */
const bodyOf = (req: FastifyRequest): unknown => req.body ?? {};

export async function pairRoutes(app: FastifyInstance, opts: PairRoutesOptions): Promise<void> {
  const { pairs } = opts;

  app.get(API.pairs, async (): Promise<PairListResponse> => ({ result: 'NORMAL', pairs: pairs.list() }));

  app.get(`${API.pairs}/:name`, async (req): Promise<PairResponse> => {
    const { name } = parseInput(nameParams, req.params, 'path');
    const pair = pairs.get(name);
    if (!pair) throw new ApiError('not-found', `no pair named "${name}"`);
    return { result: 'NORMAL', pair };
  });

  app.post(API.pairs, async (req, reply) => send(reply, await pairs.create(parseInput(createBody, bodyOf(req), 'body'))));

  app.delete(`${API.pairs}/:name`, async (req, reply) => {
    const { name } = parseInput(nameParams, req.params, 'path');
    return send(reply, await pairs.delete(name));
  });

  for (const cmd of ['split', 'resync', 'swap', 'takeover'] as const) {
    app.post(`${API.pairs}/:name/${cmd}`, async (req, reply) => {
      const { name } = parseInput(nameParams, req.params, 'path');
      return send(reply, await pairs.command(name, opParsers[cmd](bodyOf(req))));
    });
  }

  for (const cmd of ['split', 'resync'] as const) {
    app.post(`/v1/groups/:group/${cmd}`, async (req, reply) => {
      const { group } = parseInput(groupParams, req.params, 'path');
      return send(reply, await pairs.groupCommand(group, opParsers[cmd](bodyOf(req))));
    });
  }

  for (const cmd of ['reserve', 'release'] as const) {
    app.post(`${API.pairs}/:name/${cmd}`, async (req, reply) => {
      const { name } = parseInput(nameParams, req.params, 'path');
      const { host } = parseInput(reservationBody, bodyOf(req), 'body');
      return send(reply, await pairs[cmd](name, host));
    });
  }

  app.post(`${API.pairs}/:name/reset`, async (req, reply) => {
    const { name } = parseInput(nameParams, req.params, 'path');
    parseInput(emptyBody, bodyOf(req), 'body');
    return send(reply, await pairs.reset(name));
  });
}
