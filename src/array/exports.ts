// What the NBD server offers: one export per volume, named after it. A later layer (pairs)
// installs a resolver that wraps a volume's plain device with access rules and remote copy.
import type { BlockDevice, ExportRegistry } from './blockDevice.js';
import { formatSize } from '../util/size.js';
import type { VolumeStore } from './volumeStore.js';

export type DeviceResolver = (volumeName: string, plainDevice: BlockDevice) => BlockDevice;

export class VolumeExports implements ExportRegistry {
  private resolve: DeviceResolver = (_name, plain) => plain;

  constructor(private readonly volumes: VolumeStore) {}

  setDeviceResolver(resolver: DeviceResolver): void {
    this.resolve = resolver;
  }

  list(): { name: string; description: string }[] {
    return this.volumes.list().map((v) => ({ name: v.name, description: describe(v.size, v.path) }));
  }

  get(name: string): { device: BlockDevice; description: string } | undefined {
    const v = this.volumes.get(name);
    if (!v) return undefined;
    return { device: this.resolve(name, v.device), description: describe(v.size, v.path) };
  }
}

function describe(size: number, path: string): string {
  return `pairvol volume, ${formatSize(size)}, ${path}`;
}
