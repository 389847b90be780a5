// Training strategies (finetune: freezing, gradual unfreezing, layer-wise LR decay, head LR,
// no decay on biases and norms), adapters (dialogue's assistant-only labels) and extensions.
import { describe, expect, it } from 'vitest';
import { type Tensor, engine, nn, torch } from '../../lib/index.js';

const { Trainer, FinetuneStrategy, DialogueAdapter, extensions, DefaultHooks } = engine;

class Tower extends nn.Module {
  declare embed: nn.Linear;
  declare layers: nn.ModuleList;
  declare norm: nn.LayerNorm;
  declare head: nn.Linear;
  constructor() {
    super();
    torch.manualSeed(2);
    this.embed = new nn.Linear(4, 8);
    this.layers = new nn.ModuleList([new nn.Linear(8, 8), new nn.Linear(8, 8), new nn.Linear(8, 8)]);
    this.norm = new nn.LayerNorm(8);
    this.head = new nn.Linear(8, 1);
  }
  forward(x: Tensor): Tensor {
    let h = this.embed.forward(x).tanh();
    for (const l of this.layers) h = (l as nn.Linear).forward(h).tanh();
    return this.head.forward(this.norm.forward(h));
  }
}

torch.manualSeed(0);
const data = torch.keep(Array.from({ length: 6 }, () => ({ x: torch.randn([8, 4]), y: torch.randn([8, 1]) })));
const task = { type: 'regression' as const, fields: { inputs: 'x', labels: 'y' } };

describe('FinetuneStrategy', () => {
  it('gives each layer its decayed learning rate, the head its own, and biases/norms no decay', () => {
    const m = new Tower();
    const trainer = new Trainer({ model: m, task, train: data, strategy: new FinetuneStrategy({ layerDecay: 0.5, headLr: 0.01 }),
      config: { maxEpochs: 1, optimizer: { lr: 1e-3, weightDecay: 0.1 }, schedule: { name: 'constant' } } });
    const lrOf = new Map<nn.Parameter, [number, number]>();
    for (const g of trainer.optimizer.paramGroups) for (const p of g.params) lrOf.set(p, [g.lr, g.weightDecay]);
    const named = Object.fromEntries(m.namedParameters());
    // 3 numbered layers: embed depth 0 (lr * 0.5^4), layers.k depth k+1, head its own lr
    expect(lrOf.get(named['embed.weight'])).toEqual([1e-3 * 0.5 ** 4, 0.1]);
    expect(lrOf.get(named['layers.0.weight'])).toEqual([1e-3 * 0.5 ** 3, 0.1]);
    expect(lrOf.get(named['layers.2.weight'])).toEqual([1e-3 * 0.5, 0.1]);
    expect(lrOf.get(named['layers.2.bias'])).toEqual([1e-3 * 0.5, 0]);
    expect(lrOf.get(named['norm.weight'])![1]).toBe(0);
    expect(lrOf.get(named['head.weight'])).toEqual([0.01, 0.1]);
  });

  it('finds the numbered layers of the zoo\'s models: Bert\'s encoder.N, GPT\'s h.N, CLIP\'s resblocks.N', () => {
    const s = new FinetuneStrategy({ layerDecay: 0.5 });
    expect(['embeddings.word_embeddings.weight', 'encoder.0.linear1.weight', 'encoder.1.norm1.bias', 'classifier.weight'].map((n) => s.depth(n, 2))).toEqual([0, 1, 2, 3]);
    expect(s.depth('bert.encoder.layer.3.attention.self.query.weight', 12)).toBe(4); // Hugging Face's names
    expect(s.depth('transformer.h.5.attn.in_proj_weight', 6)).toBe(6);
    expect(s.depth('text.resblocks.1.mlp_fc.weight', 2)).toBe(2);
  });

  it('frozen parameters stay unchanged; gradual unfreezing releases them on schedule', async () => {
    const m = new Tower();
    const before = m.embed.weight.clone(), layer0 = m.layers.at(0) as nn.Linear, layer0Before = layer0.weight.clone();
    const strategy = new FinetuneStrategy({ freeze: ['embed.*', 'layers.0.*'], unfreezeSchedule: [{ epoch: 1, patterns: ['layers.0.*'] }] });
    const seen: boolean[] = [];
    const probe = new (class extends DefaultHooks {
      override onTrainEpochEnd() { seen.push(layer0.weight.equal(layer0Before)); }
    })();
    await new Trainer({ model: m, task, train: data, strategy, callbacks: [probe], config: { maxEpochs: 2, optimizer: { lr: 0.05 }, schedule: { name: 'constant' } } }).fit();
    expect(m.embed.weight.equal(before)).toBe(true);
    expect(seen).toEqual([true, false]);
    expect(() => new FinetuneStrategy({ layerDecay: 1.5 })).toThrow(/layerDecay must be in \(0, 1\]/);
  });
});

describe('DialogueAdapter', () => {
  const tokenizer = { encode: (text: string) => Array.from(text, (ch) => ch.charCodeAt(0) % 97) };
  it('puts the loss on assistant turns only', () => {
    const adapter = new DialogueAdapter(tokenizer);
    const { input_ids, labels } = adapter.encode([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }]);
    expect(input_ids.length).toBe(labels.length);
    const learned = labels.map((l, i) => (l === -100 ? '' : String.fromCharCode(input_ids[i]))).join('');
    expect(learned).toBe(tokenizer.encode('yo\n<|end|>\n').map((c) => String.fromCharCode(c)).join(''));
    expect(() => adapter.encode([{ role: 'robot', content: 'x' } as never])).toThrow(/message 0 must be/);
  });
});

describe('extensions', () => {
  it('are enabled by name from the config and keep state for checkpoints', async () => {
    extensions.register('counter', () => {
      let steps = 0;
      return { name: 'counter', onTrainBatchEnd: () => void steps++, stateDict: () => ({ steps }), loadStateDict: (s) => { steps = s.steps as number; } };
    });
    const trainer = new Trainer({ model: new Tower(), task, train: data, config: { maxEpochs: 1, extensions: ['counter'], schedule: { name: 'constant' } } });
    await trainer.fit();
    expect(trainer.extensionStates()).toEqual({ counter: { steps: 6 } });
    trainer.loadExtensionStates({ counter: { steps: 40 } });
    expect(trainer.extensionStates()).toEqual({ counter: { steps: 40 } });
    expect(() => new Trainer({ model: new Tower(), task, train: data, config: { maxEpochs: 1, extensions: ['nope'] } })).toThrow(/unknown extension 'nope'; registered: counter/);
  });
});
