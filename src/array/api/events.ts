// Pair state changes as they happen (SPEC §5): GET /v1/events streams every ArrayEvent as one
// JSON line and stays open; GET /v1/pairs/:name/wait blocks until a pair reaches a state or a
// bounded timeout passes (the array-side `pairevtwait`).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { abnormal, PAIR_STATES } from '../../core/types.js';
import type { ArrayEvent, PairService } from '../pairs/pairService.js';
import { nameSchema, parseOrReject, sendResult } from './pairs.js';

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

  app.get('/v1/pairs/:name/wait', async (req, reply) => {
    const params = parseOrReject(reply, waitParams, req.params, 'path');
    const query = params && parseOrReject(reply, waitQuery, req.query, 'query');
    if (!params || !query) return reply;
    if (!pairs.get(params.name)) return sendResult(reply, abnormal('not-found', `no pair named "${params.name}"`));
    return sendResult(reply, await pairs.waitForState(params.name, query.state, query.timeout * 1000));
  });

  app.get('/v1/events', (_req, reply) => {
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
