// Volume commands: list, create, inspect, delete.
import { z } from 'zod';
import { API, type VolumeListResponse, type VolumeResponse } from '../../protocol/control.js';
import type { VolumeStore } from '../volumeStore.js';
import { ApiError, parseInput, type ApiPlugin } from './server.js';

const createRequest = z
  .object({
    name: z.string(),
    size: z.union([z.number(), z.string()]).optional(),
    path: z.string().optional(),
  })
  .strict()
  .refine((r) => r.size !== undefined || r.path !== undefined, { message: 'size is required unless path is given', path: ['size'] });

const nameParam = z.object({ name: z.string() });

export function volumeRoutes(volumes: VolumeStore): ApiPlugin {
  return (app) => {
    app.get(API.volumes, async (): Promise<VolumeListResponse> => ({
      result: 'NORMAL',
      volumes: volumes.list().map((v) => volumes.info(v)),
    }));

    app.post(API.volumes, async (req): Promise<VolumeResponse> => {
      const body = parseInput(createRequest, req.body ?? undefined, 'request body');
      return { result: 'NORMAL', volume: volumes.info(volumes.create(body)) };
    });

    app.get(`${API.volumes}/:name`, async (req): Promise<VolumeResponse> => {
      const { name } = parseInput(nameParam, req.params, 'path');
      const v = volumes.get(name);
      if (!v) throw new ApiError('not-found', `no volume ${name}`);
      return { result: 'NORMAL', volume: volumes.info(v) };
    });

    app.delete(`${API.volumes}/:name`, async (req): Promise<VolumeResponse> => {
      const { name } = parseInput(nameParam, req.params, 'path');
      return { result: 'NORMAL', volume: volumes.delete(name) };
    });
  };
}
