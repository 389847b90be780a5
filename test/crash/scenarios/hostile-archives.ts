// Crash scenario: damaged files of every format torchtrain reads: safetensors, torch.save zip and
// TorchScript zip (each given to io.loadSafetensors, io.load and jit.load), IDX (data.readIdx)
// and JSON lines (data.JsonlDataset: streamed, indexed, read by index). A reader may refuse (any
// Error) or, where the damage leaves a readable file, load it; what it loads is then used (sum,
// clone, toString, io.save, forward), since a bad tensor that loads is the crash waiting for its
// first op. Prints `TRY <format> <index> (<damage>) <reader> <stage>` before each step, so a
// death names its file, and one RESULT line of counts at the end. Mutants stay in the printed
// folder if the process dies.
//   npx tsx test/crash/scenarios/hostile-archives.ts <seed> <perFormat> [format:index]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, data, io, jit, torch } from '../../../lib/index.js';
import { type Mutant, mutateIdx, mutateJsonl, mutateSafetensors, mutateZip } from '../archive-mutations.js';

const seed = Number(process.argv[2] ?? 1);
const perFormat = Number(process.argv[3] ?? 60);
const only = process.argv[4];
const dir = mkdtempSync(path.join(os.tmpdir(), 'tt-hostile-'));
const say = (line: string) => process.stdout.write(`${line}\n`);
say(`DIR ${dir}`);

torch.manualSeed(0);
const weights = { w: torch.randn([4, 3]), b: torch.arange(5), h: torch.ones([2, 2], { dtype: 'float16' }), m: torch.tensor([true, false]) };
io.saveSafetensors(path.join(dir, 'source.safetensors'), weights);
io.save(path.join(dir, 'source.pt'), weights);

type Loaded = { tensors: Tensor[]; module?: ReturnType<typeof jit.load> };
type Reader = (file: string) => Loaded | Promise<Loaded>;
const tensorsOf = (v: unknown): Tensor[] => Object.values(v as object).filter((t): t is Tensor => t instanceof Tensor);
const archiveReaders: Record<string, Reader> = {
  'io.loadSafetensors': (f) => ({ tensors: tensorsOf(io.loadSafetensors(f)) }),
  'io.load': (f) => ({ tensors: tensorsOf(io.load(f)) }),
  'jit.load': (f) => {
    const module = jit.load(f);
    return { tensors: module.parameters(), module };
  },
};
const idxReader: Reader = (f) => {
  const a = data.readIdx(f);
  return { tensors: [torch.tensor(a.data as Float32Array, { shape: a.shape })] };
};
const jsonlReader: Reader = async (f) => {
  const stream = new data.JsonlDataset(f);
  const rows: unknown[] = [];
  for await (const row of stream) rows.push(row);
  const indexed = await stream.index();
  for (let i = 0; i < indexed.length; i++) await indexed.get(i);
  return { tensors: [] };
};

const formats: Record<string, { source: Buffer; mutate: (b: Buffer, seed: number, i: number) => Mutant; readers: Record<string, Reader>; own: string }> = {
  safetensors: { source: readFileSync(path.join(dir, 'source.safetensors')), mutate: mutateSafetensors, readers: archiveReaders, own: 'io.loadSafetensors' },
  torchsave: { source: readFileSync(path.join(dir, 'source.pt')), mutate: mutateZip, readers: archiveReaders, own: 'io.load' },
  torchscript: { source: readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/mlp-script.pt')), mutate: mutateZip, readers: archiveReaders, own: 'jit.load' },
  idx: { source: Buffer.from(data.encodeIdx({ shape: [3, 4], data: new Float32Array(12).map((_, i) => i) })), mutate: mutateIdx, readers: { 'data.readIdx': idxReader }, own: 'data.readIdx' },
  jsonl: { source: Buffer.from('{"x":[1,2],"labels":0}\n{"x":[3,4],"labels":1}\n\n{"text":"é\\u00e9","labels":2}\r\n'), mutate: mutateJsonl, readers: { 'data.JsonlDataset': jsonlReader }, own: 'data.JsonlDataset' },
};

/** Uses whatever a reader gave back, as a user would; errors here are fine, deaths are not. */
function exercise(tensors: Tensor[], out: string): void {
  for (const t of tensors) {
    for (const use of [() => t.sum().item(), () => t.clone(), () => String(t), () => t.to('float64').mean().item(), () => t.tolist()]) {
      try {
        use();
      } catch {
        // refusing is fine
      }
    }
  }
  try {
    io.save(out, Object.fromEntries(tensors.map((t, i) => [`t${i}`, t])));
  } catch {
    // refusing is fine
  }
}

const counts: Record<string, { refused: number; loaded: number }> = {};
const violations: string[] = [];
let mutants = 0;
for (const [format, f] of Object.entries(formats)) {
  for (let index = 0; index < perFormat; index++) {
    if (only && only !== `${format}:${index}`) continue;
    const m = f.mutate(f.source, seed, index);
    const file = path.join(dir, `${format}-${index}.bin`);
    writeFileSync(file, m.bytes);
    mutants++;
    for (const [name, read] of Object.entries(f.readers)) {
      const tag = `${format} ${index} (${m.what}) ${name}`;
      say(`TRY ${tag} load`);
      const key = `${format} via ${name}`;
      counts[key] ??= { refused: 0, loaded: 0 };
      let loaded: Loaded | null = null;
      try {
        loaded = await read(file);
        counts[key].loaded++;
      } catch (err) {
        counts[key].refused++;
        if (!(err instanceof Error) || !err.message) violations.push(`${tag}: threw ${String(err)}, not an Error with a message`);
        else if (name.startsWith('io.') && !err.message.includes(file)) violations.push(`${tag}: the error does not name the file: ${err.message.slice(0, 200)}`);
      }
      if (!loaded) continue;
      if (m.mustRefuse && name === f.own) violations.push(`${tag}: loaded, but must be refused`);
      say(`TRY ${tag} use`);
      exercise(loaded.tensors, path.join(dir, 'out.pt'));
      if (loaded.module) {
        say(`TRY ${tag} forward`);
        try {
          loaded.module.forward(torch.randn([2, 4]));
        } catch {
          // refusing is fine
        }
        loaded.module.dispose();
      }
    }
  }
}
say(`RESULT ${JSON.stringify({ seed, perFormat, mutants, counts, violations, alive: torch.ones([2]).add(1).sum().item() })}`);
rmSync(dir, { recursive: true, force: true });
