// Pair commands on the command device (SPEC §3, §5, §6): list/show/create/delete pairs, the
// pair operations (split, resync, swap, takeover), the determining-pair reservation (reserve,
// release, reset) and group split/resync. Every request is validated before the pair layer sees
// it, so bad input answers 400 bad-request naming the field and changes nothing.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { abnormal, FENCES, type CommandResult } from '../../core/types.js';
import { httpStatusFor, type PairListResponse, type PairResponse } from '../../protocol/control.js';
import type { PairOp, PairService } from '../pairs/pairService.js';

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

/** Answer a CommandResult with the HTTP status the contract gives its reason. */
export function sendResult<T extends object>(reply: FastifyReply, result: CommandResult<T>): FastifyReply {
  return reply.code(result.result === 'NORMAL' ? 200 : httpStatusFor(result.reason)).send(result);
}

/**
 * Validate `input` (a body, the path params or the query) against `schema`. On failure answer
 * 400 bad-request naming every bad field, or `what` when the input as a whole is wrong.
 */
export function parseOrReject<T>(reply: FastifyReply, schema: z.ZodType<T>, input: unknown, what: string): T | undefined {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : what;
    if (issue.code === 'unrecognized_keys') return `${what}: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${field}: ${issue.message}`;
  });
  sendResult(reply, abnormal('bad-request', problems.join('; ')));
  return undefined;
}

/** The body of a pair operation, checked and turned into the PairOp the pair layer takes. */
const opParsers: Record<'split' | 'resync' | 'swap' | 'takeover', (reply: FastifyReply, body: unknown) => PairOp | undefined> = {
  split: (reply, body) => {
    const b = parseOrReject(reply, splitBody, body, 'body');
    return b && { kind: 'split', svolWritable: b.svolWritable ?? false };
  },
  resync: (reply, body) => {
    const b = parseOrReject(reply, resyncBody, body, 'body');
    return b && (b.discard === undefined ? { kind: 'resync' } : { kind: 'resync', discard: b.discard });
  },
  swap: (reply, body) => parseOrReject(reply, emptyBody, body, 'body') && { kind: 'swap' },
  takeover: (reply, body) => {
    const b = parseOrReject(reply, takeoverBody, body, 'body');
    return b && { kind: 'takeover', force: b.force ?? false };
  },
};

export async function pairRoutes(app: FastifyInstance, opts: PairRoutesOptions): Promise<void> {
  const { pairs } = opts;

  app.get('/v1/pairs', async (_req, reply) => {
    const answer: PairListResponse = { result: 'NORMAL', pairs: pairs.list() };
    return sendResult(reply, answer);
  });

  app.get('/v1/pairs/:name', async (req, reply) => {
    const params = parseOrReject(reply, nameParams, req.params, 'path');
    if (!params) return reply;
    const pair = pairs.get(params.name);
    const answer: PairResponse = pair ? { result: 'NORMAL', pair } : abnormal('not-found', `no pair named "${params.name}"`);
    return sendResult(reply, answer);
  });

  app.post('/v1/pairs', async (req, reply) => {
    const body = parseOrReject(reply, createBody, req.body, 'body');
    if (!body) return reply;
    return sendResult(reply, await pairs.create(body));
  });

  app.delete('/v1/pairs/:name', async (req, reply) => {
    const params = parseOrReject(reply, nameParams, req.params, 'path');
    if (!params) return reply;
    return sendResult(reply, await pairs.delete(params.name));
  });

  for (const cmd of ['split', 'resync', 'swap', 'takeover'] as const) {
    app.post(`/v1/pairs/:name/${cmd}`, async (req, reply) => {
      const params = parseOrReject(reply, nameParams, req.params, 'path');
      const op = params && opParsers[cmd](reply, req.body);
      if (!params || !op) return reply;
      return sendResult(reply, await pairs.command(params.name, op));
    });
  }

  for (const cmd of ['split', 'resync'] as const) {
    app.post(`/v1/groups/:group/${cmd}`, async (req, reply) => {
      const params = parseOrReject(reply, groupParams, req.params, 'path');
      const op = params && opParsers[cmd](reply, req.body);
      if (!params || !op) return reply;
      return sendResult(reply, await pairs.groupCommand(params.group, op));
    });
  }

  for (const cmd of ['reserve', 'release'] as const) {
    app.post(`/v1/pairs/:name/${cmd}`, async (req, reply) => {
      const params = parseOrReject(reply, nameParams, req.params, 'path');
      const body = params && parseOrReject(reply, reservationBody, req.body, 'body');
      if (!params || !body) return reply;
      return sendResult(reply, await pairs[cmd](params.name, body.host));
    });
  }

  app.post('/v1/pairs/:name/reset', async (req, reply) => {
    const params = parseOrReject(reply, nameParams, req.params, 'path');
    const body = params && parseOrReject(reply, emptyBody, req.body, 'body');
    if (!params || !body) return reply;
    return sendResult(reply, await pairs.reset(params.name));
  });
}
