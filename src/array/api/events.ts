// Pair state changes as they happen (SPEC §5): GET /v1/events streams every ArrayEvent as one
// JSON line and stays open; GET /v1/pairs/:name/wait blocks until a pair reaches a state or a
// bounded timeout passes (the array-side `pairevtwait`).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PAIR_STATES } from '../../core/types.js';
import { API } from '../../protocol/control.js';
import type { ArrayEvent, PairService } from '../pairs/pairService.js';
import { nameSchema } from './pairs.js';
import { ApiError, parseInput, send } from './server.js';

export interface EventRoutesOptions {
  pairs: PairService;
}

/** Longest wait a client may ask for; longer waits are a loop of shorter ones on the client. */
export const MAX_WAIT_SECONDS = 300;
export const DEFAULT_WAIT_SECONDS = 10;
/** A listener that does not read its stream is cut off rather than buffering without bound. */
const MAX_UNREAD_BYTES = 1024 * 1024;

const waitParams = z.object({ name: nameSchema });
const waitQuery = z.strictObject({
  // SSUS is how operators on the S side name PSUS, so it is accepted as the same state.
  state: z.enum([...PAIR_STATES, 'SSUS']).transform((s) => (s === 'SSUS' ? 'PSUS' : s)),
  timeout: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).default(DEFAULT_WAIT_SECONDS),
});

export async function eventRoutes(app: FastifyInstance, opts: EventRoutesOptions): Promise<void> {
  const { pairs } = opts;
  const streams = new Set<ServerResponse>();

  app.get(`${API.pairs}/:name/wait`, async (req, reply) => {
    const { name } = parseInput(waitParams, req.params, 'path');
    const { state, timeout } = parseInput(waitQuery, req.query, 'query');
    if (!pairs.get(name)) throw new ApiError('not-found', `no pair named "${name}"`);
    return send(reply, await pairs.waitForState(name, state, timeout * 1000));
  });

  app.get(API.events, (_req, reply) => {
    // The stream outlives the handler, so fastify hands the raw response over to us.
    reply.hijack();
    const res = reply.raw;
    const onEvent = (event: ArrayEvent): void => {
      if (res.writableLength > MAX_UNREAD_BYTES) {
        res.destroy();
        return;
      }
      res.write(`${JSON.stringify(event)}\n`);
    };
    const stop = (): void => {
      pairs.events.off('event', onEvent);
      streams.delete(res);
    };
    // Listen before the headers go out: a client that has the headers sees every later event.
    pairs.events.on('event', onEvent);
    streams.add(res);
    res.on('close', stop);
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    res.flushHeaders();
  });

  // Open streams would keep the server from closing; end them when it shuts down.
  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
  });
}
