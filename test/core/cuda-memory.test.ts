// torch.cuda's memory queries (the caching allocator's counters) and the training logs' CUDA
// memory keys. Without CUDA the queries return null (not PyTorch's error: logging code asks
// unconditionally) and the logs carry no CUDA keys; a malformed device name is refused on every
// machine. On a CUDA machine the counters follow an allocation.
import { describe, expect, it } from 'vitest';
import { engine, nn, torch } from '../../lib/index.js';
import { TaskSpecs } from '../../lib/task/index.js';

const hasCuda = torch.cuda.isAvailable();
const queries = ['memoryAllocated', 'maxMemoryAllocated', 'memoryReserved', 'maxMemoryReserved'] as const;

describe('torch.cuda memory statistics', () => {
  it.skipIf(hasCuda)('return null without CUDA, for the current device and a named one', () => {
    for (const q of queries) {
      expect(torch.cuda[q]()).toBeNull();
      expect(torch.cuda[q]('cuda')).toBeNull();
      expect(torch.cuda[q]('cuda:1')).toBeNull();
      expect(torch.cuda[q](0)).toBeNull();
    }
    expect(() => torch.cuda.resetPeakMemoryStats()).not.toThrow();
  });

  it('refuse a malformed device with what is accepted', () => {
    for (const q of queries) {
      expect(() => torch.cuda[q]('cpu')).toThrow(/must be 'cuda' or 'cuda:N'.*got 'cpu'/);
      expect(() => torch.cuda[q]('cuda:')).toThrow(RangeError);
      expect(() => torch.cuda[q]('gpu:0')).toThrow(/got 'gpu:0'/);
      expect(() => torch.cuda[q](-1)).toThrow(TypeError);
      expect(() => torch.cuda[q](1.5)).toThrow(/device index N >= 0, got 1.5/);
    }
    expect(() => torch.cuda.resetPeakMemoryStats('cuda:x')).toThrow(/got 'cuda:x'/);
    expect(() => torch.cuda.memoryAllocated({} as unknown as string)).toThrow(TypeError);
  });

  it.skipIf(!hasCuda)('follow an allocation on CUDA (allocated, peak, reserved, reset)', () => {
    torch.cuda.synchronize();
    const before = torch.cuda.memoryAllocated()!;
    const x = torch.zeros([1024, 1024], { device: 'cuda' });
    try {
      expect(torch.cuda.memoryAllocated('cuda:0')! - before).toBeGreaterThanOrEqual(4 * 1024 * 1024);
      expect(torch.cuda.maxMemoryAllocated()!).toBeGreaterThanOrEqual(torch.cuda.memoryAllocated()!);
      expect(torch.cuda.memoryReserved()!).toBeGreaterThanOrEqual(torch.cuda.memoryAllocated()!);
    } finally {
      x.dispose();
    }
    torch.cuda.resetPeakMemoryStats();
    expect(torch.cuda.maxMemoryAllocated()).toBe(torch.cuda.memoryAllocated());
    expect(() => torch.cuda.memoryAllocated(`cuda:${torch.cuda.deviceCount()}`)).toThrow(/not there/);
  });
});

describe('CUDA memory in the training logs', () => {
  const task = TaskSpecs.sequenceClassification({ numClasses: 3, fields: { inputs: 'x' } });
  const fit = async (device: string) => {
    torch.manualSeed(0);
    const data = torch.keep(torch.scope(() => Array.from({ length: 2 }, () => ({ x: torch.randn([4, 4]), labels: torch.randint(0, 3, [4]) }))));
    const model = new nn.Linear(4, 3);
    const trainer = new engine.Trainer({ model, task, train: data, config: { device, maxSteps: 2, logEveryNSteps: 1 } });
    try {
      await trainer.fit();
      return { ...trainer.logs };
    } finally {
      torch.dispose(data);
    }
  };

  it('has no CUDA keys when training on the CPU', async () => {
    const logs = await fit('cpu');
    expect(logs['train/memory/rss_bytes']).toBeGreaterThan(0);
    expect(Object.keys(logs).filter((k) => k.includes('cuda'))).toEqual([]);
  });

  it.skipIf(!hasCuda)('has the allocated and peak bytes when training on CUDA', async () => {
    const logs = await fit('cuda');
    expect(logs['train/memory/cuda_allocated_bytes']).toBeGreaterThan(0);
    expect(logs['train/memory/cuda_peak_bytes']).toBeGreaterThanOrEqual(logs['train/memory/cuda_allocated_bytes']);
  });
});
