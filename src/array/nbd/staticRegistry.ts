// An ExportRegistry over a fixed set of devices: for tools, tests and benchmarks that serve
// files directly without the array's volume and pair machinery.
import type { BlockDevice, ExportRegistry } from '../blockDevice.js';

export interface StaticExport {
  name: string;
  device: BlockDevice;
  description?: string;
}

export class StaticExportRegistry implements ExportRegistry {
  private readonly exports = new Map<string, { device: BlockDevice; description: string }>();

  constructor(exports: StaticExport[]) {
    for (const e of exports) {
      if (this.exports.has(e.name)) throw new Error(`duplicate export name "${e.name}"`);
      this.exports.set(e.name, { device: e.device, description: e.description ?? '' });
    }
  }

  list(): { name: string; description: string }[] {
    return [...this.exports].map(([name, e]) => ({ name, description: e.description }));
  }

  get(name: string): { device: BlockDevice; description: string } | undefined {
    return this.exports.get(name);
  }
}
