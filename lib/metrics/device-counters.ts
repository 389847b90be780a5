// DeviceCounters: named float64 sums kept on the device. add() queues an in-place add (no host
// read); read() copies every counter to JavaScript in ONE transfer (the counters joined into one
// tensor), so a validation run or a logging interval costs one device synchronisation however
// many batches and metrics it covers. Counts are float64: exact up to 2^53.
import { ones, zeros } from '../core/creation.js';
import { cat } from '../core/functions.js';
import { dispose, keep, scope } from '../core/scope.js';
import { type Tensor } from '../core/tensor.js';

export class DeviceCounters {
  private readonly device = new Map<string, Tensor>();
  private readonly host = new Map<string, number[]>();

  /** Adds a device tensor (any shape, the same each time for one name) or a host number. */
  add(name: string, value: Tensor | number): void {
    if (typeof value === 'number') this.addHost(name, [value]);
    else this.sumFor(name, value.shape, value.device).add_(value.detach()).dispose();
  }

  /** Adds numbers already on the host, element by element. */
  addHost(name: string, values: readonly number[]): void {
    const h = this.host.get(name) ?? [];
    values.forEach((v, i) => (h[i] = (h[i] ?? 0) + v));
    this.host.set(name, h);
  }

  /** Adds 1 at each position of a flat int64 index tensor, into a counter of `size` bins (a histogram). */
  count(name: string, size: number, index: Tensor): void {
    const sum = this.sumFor(name, [size], index.device);
    scope(() => {
      const flat = index.reshape(-1);
      sum.scatterAdd_(0, flat, ones([flat.shape[0]], { dtype: 'float64', device: index.device }));
    });
  }

  private sumFor(name: string, shape: number[], device: string): Tensor {
    let sum = this.device.get(name);
    if (!sum) {
      sum = keep(zeros(shape, { dtype: 'float64', device }));
      this.device.set(name, sum);
    }
    return sum;
  }

  /** Every counter as flat numbers (host and device parts added), read with one host read. */
  read(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    const names = [...this.device.keys()];
    if (names.length) {
      const values = scope(() => {
        const flat = names.map((n) => this.device.get(n)!.reshape(-1));
        const all = flat.length === 1 ? flat[0] : cat(flat, 0);
        return Array.from(all.data() as Float64Array);
      });
      let offset = 0;
      for (const n of names) {
        const size = this.device.get(n)!.numel();
        out.set(n, values.slice(offset, offset + size));
        offset += size;
      }
    }
    for (const [n, h] of this.host) {
      const d = out.get(n) ?? [];
      h.forEach((v, i) => (d[i] = (d[i] ?? 0) + v));
      out.set(n, d);
    }
    return out;
  }

  reset(): void {
    for (const t of this.device.values()) t.zero_().dispose();
    this.host.clear();
  }

  dispose(): void {
    dispose([...this.device.values()]);
    this.device.clear();
    this.host.clear();
  }
}
