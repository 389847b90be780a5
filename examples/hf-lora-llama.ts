// LoRA on a Llama: a small Llama (grouped-query attention, SwiGLU, RMSNorm, rotary embeddings;
// bytes as tokens) is built in TypeScript from a LlamaConfig and saved with hf.savePretrained as
// the base model (a folder transformers' LlamaForCausalLM.from_pretrained reads; no Python
// needed here). It is loaded back with hf.fromPretrained, nn.lora.apply puts rank-8 adapters on
// every linear layer of its blocks (PEFT's "all-linear": q/k/v/o_proj, gate/up/down_proj), and the
// Trainer fine-tunes only the adapters on lines of Moby-Dick. The held-out loss falls, every base
// weight stays bit-for-bit what the base folder holds, and the adapter is saved in PEFT's format
// (peft.PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained(base), adapter) loads it; the
// test does that). The base is randomly initialised: what LoRA learns here is Moby-Dick's bytes.
// About a minute and a half on two cores.
//   npx tsx examples/hf-lora-llama.ts [--out <folder>] [--steps 300]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TaskSpecs, Trainer, data, engine, hf, io, nn, torch } from '../lib/index.js';
import { mobyDickLines, tinyLlamaConfig } from './hf-inputs.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string' },
    steps: { type: 'string', default: '300' },
    lr: { type: 'string', default: '5e-3' },
  },
});
const out = args.out ?? mkdtempSync(path.join(os.tmpdir(), 'torchtrain-hf-lora-llama-'));
const baseDir = path.join(out, 'base'), adapterDir = path.join(out, 'adapter');
const started = performance.now();
const seconds = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

// 1. The base model: built from a LlamaConfig, saved as a Hugging Face folder.
torch.manualSeed(0);
await hf.savePretrained(new hf.models.LlamaForCausalLM(tinyLlamaConfig()), baseDir);
const { model } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(baseDir);
console.log(`base Llama (${model.numParameters().toLocaleString()} parameters) saved to ${baseDir} and loaded back`);

// 2. LoRA: adapters on the blocks' linear layers; everything else (lm_head included) frozen.
const summary = nn.lora.apply(model, { targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], r: 8, alpha: 16, dropout: 0.05 });
console.log(`LoRA on ${summary.targets.length} layers: ${nn.lora.formatParameterCounts(model)}`);

// The base weights' bytes now, by their names in the base folder (LoRA moved them under .base_layer).
const baseName = (name: string): string => name.replace('.base_layer.', '.');
const bytesOf = (t: ReturnType<typeof torch.zeros>): Buffer => Buffer.from(Uint8Array.from(new Uint8Array(t.data().buffer, t.data().byteOffset, t.data().byteLength)));
const before = new Map(model.namedParameters().filter(([, p]) => !p.requiresGrad).map(([n, p]) => [baseName(n), bytesOf(p)]));

// 3. Fine-tune the adapters on Moby-Dick's lines (bytes, blocks of 64, next-token labels).
const blockSize = 64;
const train = mobyDickLines({ start: 0, chars: 600_000, blockSize, stride: 16 });
const heldOut = mobyDickLines({ start: 1_000_000, chars: 32_768, blockSize });
const task = TaskSpecs.causalLm({ vocabSize: 256, loss: { name: 'causal_lm', options: { shift: false } } });
const trainer = new Trainer({
  model, task,
  train: new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: 0, dropLast: true, collateOptions: { task } }),
  val: new data.DataLoader(heldOut, { batchSize: 128, collateOptions: { task } }),
  callbacks: [new engine.ProgressBar({ logEvery: 50 })],
  config: { maxSteps: Number(args.steps), device: 'cpu', optimizer: { lr: Number(args.lr), weightDecay: 0 }, schedule: { name: 'warmup_cosine', warmupSteps: 20 }, profileData: false },
});
const start = await trainer.validate();
console.log(`held-out loss before: ${start.loss.toFixed(3)} nats/byte (uniform over 256 bytes: ${Math.log(256).toFixed(3)}) [${seconds()}]`);
const result = await trainer.fit();
const end = result.epochs.at(-1)!.validation!;
console.log(`\nheld-out loss after ${result.steps} steps: ${end.loss!.toFixed(3)} nats/byte (perplexity ${Math.exp(end.loss!).toFixed(1)}) [${seconds()}]`);

// 4. The base weights did not move: every frozen tensor byte for byte as before, and as on disk.
const onDisk = io.loadSafetensors(path.join(baseDir, 'model.safetensors'));
let compared = 0, bytes = 0;
for (const [name, p] of model.namedParameters().filter(([, q]) => !q.requiresGrad)) {
  const now = bytesOf(p), key = baseName(name);
  if (!now.equals(before.get(key)!) || !now.equals(bytesOf(onDisk[key]!))) throw new Error(`base weight ${key} changed during LoRA training`);
  compared++;
  bytes += now.length;
}
console.log(`base weights unchanged: ${compared} tensors, ${bytes.toLocaleString()} bytes, equal to the base folder's model.safetensors byte for byte`);

// 5. The adapter in PEFT's format; loaded onto a fresh copy of the base it gives the same logits.
nn.lora.saveAdapter(model, adapterDir, { baseModelNameOrPath: baseDir, taskType: 'CAUSAL_LM' });
const { model: again } = await hf.fromPretrained<hf.models.LlamaForCausalLM>(baseDir);
nn.lora.loadAdapter(again, adapterDir);
model.eval();
again.eval();
const probe = torch.tensor([Array.from(Buffer.from('Call me Ishmael. Some years ago'))], { dtype: 'int64' });
const diff = torch.noGrad(() => model.forward(probe).sub(again.forward(probe)).abs().max().item());
console.log(`adapter saved to ${adapterDir} (adapter_config.json, adapter_model.safetensors); base + adapter reloaded: max |logit difference| ${diff}`);
console.log(`  Python: PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained('${baseDir}'), '${adapterDir}')`);
