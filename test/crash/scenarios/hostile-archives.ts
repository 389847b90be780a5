// Crash scenario: damaged archives of every format torchtrain reads (safetensors, torch.save zip,
// TorchScript zip), each given to io.loadSafetensors, io.load and jit.load. A reader may refuse
// (any Error) or, where the damage leaves a readable file, load it; what it loads is then used
// (sum, clone, toString, io.save, forward), since a bad tensor that loads is the crash waiting
// for its first op. Prints `TRY <format> <index> <what> <stage>` before each step, so a death
// names its file, and one JSON line of counts at the end. The mutants stay in the printed folder.
//   npx tsx test/crash/scenarios/hostile-archives.ts <seed> <perFormat> [format:index]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tensor, io, jit, torch } from '../../../lib/index.js';
import { type Mutant, mutateSafetensors, mutateZip } from '../archive-mutations.js';

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
const sources = {
  safetensors: readFileSync(path.join(dir, 'source.safetensors')),
  torchsave: readFileSync(path.join(dir, 'source.pt')),
  torchscript: readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/mlp-script.pt')),
};
const mutate = { safetensors: mutateSafetensors, torchsave: mutateZip, torchscript: mutateZip };
const ownReader = { safetensors: 'io.loadSafetensors', torchsave: 'io.load', torchscript: 'jit.load' } as const;

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
const total = { mutants: 0 };
for (const format of Object.keys(sources) as (keyof typeof sources)[]) {
  for (let index = 0; index < perFormat; index++) {
    if (only && only !== `${format}:${index}`) continue;
    const m: Mutant = mutate[format](sources[format], seed, index);
    const file = path.join(dir, `${format}-${index}.bin`);
    writeFileSync(file, m.bytes);
    total.mutants++;
    for (const reader of ['io.loadSafetensors', 'io.load', 'jit.load'] as const) {
      const tag = `${format} ${index} (${m.what}) ${reader}`;
      say(`TRY ${tag} load`);
      const key = `${format} via ${reader}`;
      counts[key] ??= { refused: 0, loaded: 0 };
      let loaded: Tensor[] | null = null;
      let module: ReturnType<typeof jit.load> | null = null;
      try {
        if (reader === 'jit.load') {
          module = jit.load(file);
          loaded = module.parameters();
        } else {
          loaded = Object.values(reader === 'io.load' ? io.load(file) : io.loadSafetensors(file));
        }
        counts[key].loaded++;
      } catch (err) {
        counts[key].refused++;
        if (!(err instanceof Error) || !err.message) violations.push(`${tag}: threw ${String(err)}, not an Error with a message`);
        else if (reader !== 'jit.load' && !err.message.includes(file) && !/ENOENT|EISDIR/.test(err.message)) violations.push(`${tag}: the error does not name the file: ${err.message.slice(0, 200)}`);
      }
      if (loaded) {
        if (m.mustRefuse && reader === ownReader[format]) violations.push(`${tag}: loaded, but must be refused`);
        say(`TRY ${tag} use`);
        exercise(loaded, path.join(dir, 'out.pt'));
        if (module) {
          say(`TRY ${tag} forward`);
          try {
            module.forward(torch.randn([2, 4]));
          } catch {
            // refusing is fine
          }
          module.dispose();
        }
      }
    }
  }
}
say(`RESULT ${JSON.stringify({ seed, perFormat, mutants: total.mutants, counts, violations, alive: torch.ones([2]).add(1).sum().item() })}`);
rmSync(dir, { recursive: true, force: true });
