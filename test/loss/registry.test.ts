// The loss registry (register/get/list, unknown names, option errors), lossForTask for every
// task type, the usesWholeBatch flags, and a user strategy chosen by TaskSpec.loss.name.
import { afterEach, describe, expect, it } from 'vitest';
import { losses, torch } from '../../lib/index.js';
import { type LossStrategy } from '../../lib/loss/index.js';
import { TASK_TYPES, TaskSpecs, parseTaskSpec } from '../../lib/task/index.js';

const BUILTINS = ['barlow_twins', 'causal_lm', 'clip', 'huber', 'image_classification', 'info_nce', 'l1', 'masked_lm', 'mse', 'multilabel',
  'nt_xent', 'seq_classification', 'simclr', 'smooth_l1', 'supcon', 'token_classification', 'vicreg'];
const WHOLE_BATCH = new Set(['clip', 'info_nce', 'simclr', 'nt_xent', 'supcon', 'vicreg', 'barlow_twins']);

afterEach(() => {
  for (const name of losses.list()) if (!BUILTINS.includes(name)) losses.unregister(name);
});

describe('losses registry', () => {
  it('lists the built-ins, sorted', () => {
    expect(losses.list()).toEqual(BUILTINS);
  });

  it('get builds each built-in under its name, with usesWholeBatch set for in-batch and batch-statistics losses only', () => {
    for (const name of BUILTINS) {
      const s = losses.get(name);
      expect(s.name).toBe(name);
      expect(typeof s.computeLoss).toBe('function');
      expect(s.usesWholeBatch, name).toBe(WHOLE_BATCH.has(name));
    }
  });

  it('an unknown name is an UnknownLossError listing the known ones', () => {
    let error: unknown;
    try { losses.get('cross_entropy'); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(losses.UnknownLossError);
    expect((error as InstanceType<typeof losses.UnknownLossError>).known).toEqual(BUILTINS);
    expect(String(error)).toMatch(/unknown loss 'cross_entropy'; known losses: barlow_twins, causal_lm, clip, .*vicreg; fix: .*losses\.register\('cross_entropy'/);
  });

  it('options are checked when the loss is built: unknown keys, types, ranges, non-objects', () => {
    const bad: [string, unknown, RegExp][] = [
      ['causal_lm', { labelSmothing: 0.1 }, /labelSmothing: not an option of 'causal_lm'; it takes labelSmoothing/],
      ['causal_lm', { labelSmoothing: 1 }, /labelSmoothing: Too big.*given 1/],
      ['seq_classification', { classWeights: [1, -2] }, /classWeights\.1: Too small.*given -2/],
      ['seq_classification', { classWeights: 'balanced' }, /classWeights: .*given "balanced"/],
      ['clip', { temperature: 0 }, /temperature: Too small/],
      ['simclr', { normalize: 'yes' }, /normalize: .*boolean.*given "yes"/],
      ['huber', [1], /options must be an object/],
    ];
    for (const [name, options, pattern] of bad) {
      expect(() => losses.get(name, options as Record<string, unknown>), name).toThrow(losses.LossOptionsError);
      expect(() => losses.get(name, options as Record<string, unknown>), name).toThrow(pattern);
    }
    expect((losses.get('seq_classification', { labelSmoothing: 0.2 }) as losses.SequenceClassificationLoss).options).toEqual({ labelSmoothing: 0.2 });
    expect((losses.get('vicreg') as losses.VICRegLoss).options).toEqual({ invarianceWeight: 25, varianceWeight: 25, covarianceWeight: 1, targetStd: 1, eps: 1e-4 });
    expect((losses.get('barlow_twins') as losses.BarlowTwinsLoss).options.lambda).toBe(5e-3);
  });

  it('register adds a user strategy; names are unique unless replaced; bad registrations are refused', () => {
    const factory = (o: Record<string, unknown>): LossStrategy => ({
      name: 'scaled_l1',
      computeLoss: (output) => {
        const x = output.logits!;
        return { loss: x.abs().sum().mul(Number(o.scale ?? 1)), numItems: x.shape[0] };
      },
    });
    losses.register('scaled_l1', factory);
    expect(losses.list()).toContain('scaled_l1');
    const s = losses.get('scaled_l1', { scale: 3 });
    expect(s.computeLoss({ logits: torch.tensor([[1, -2], [3, 0]]) }, {}, TaskSpecs.regression()).loss.item()).toBe(18);
    expect(() => losses.register('scaled_l1', factory)).toThrow(/already registered; fix: .*\{ replace: true \}/);
    expect(() => losses.register('mse', factory)).toThrow(/'mse' is already registered/);
    losses.register('scaled_l1', factory, { replace: true });
    expect(() => losses.register('has space', factory)).toThrow(TypeError);
    expect(() => losses.register('', factory)).toThrow(TypeError);
    expect(() => losses.register('x', {} as never)).toThrow(/factory must be a function/);
    losses.register('broken', () => ({}) as never);
    expect(() => losses.get('broken')).toThrow(/its factory returned object, not a LossStrategy/);
    expect(losses.unregister('broken')).toBe(true);
    expect(losses.unregister('broken')).toBe(false);
  });

  it('a separate LossRegistry does not touch the global one', () => {
    const r = new losses.LossRegistry();
    expect(r.list()).toEqual([]);
    r.register('mine', () => losses.get('mse'));
    expect(r.get('mine').name).toBe('mse');
    expect(losses.list()).not.toContain('mine');
  });
});

describe('lossForTask', () => {
  const expected: Record<string, [string, unknown]> = {
    causal_lm: ['causal_lm', losses.CausalLMLoss],
    masked_lm: ['masked_lm', losses.MaskedLMLoss],
    seq_classification: ['seq_classification', losses.SequenceClassificationLoss],
    token_classification: ['token_classification', losses.TokenClassificationLoss],
    image_classification: ['image_classification', losses.ImageClassificationLoss],
    multilabel_classification: ['multilabel', losses.MultilabelLoss],
    regression: ['mse', losses.MSELoss],
    contrastive: ['clip', losses.CLIPLoss],
  };

  it.each(TASK_TYPES.map((t) => [t]))('builds the default loss of a %s task', (type) => {
    const task = parseTaskSpec({ type, vocabSize: 20, maskTokenId: 3, numClasses: 4 });
    const s = losses.lossForTask(task);
    expect(s.name).toBe(expected[type][0]);
    expect(s).toBeInstanceOf(expected[type][1] as new () => LossStrategy);
  });

  it('passes TaskSpec.loss.options, and reports bad ones when the loss is built', () => {
    const task = TaskSpecs.sequenceClassification({ numClasses: 3, loss: { name: 'seq_classification', options: { labelSmoothing: 0.1, classWeights: [1, 2, 3] } } });
    expect((losses.lossForTask(task) as losses.SequenceClassificationLoss).options).toEqual({ labelSmoothing: 0.1, classWeights: [1, 2, 3] });
    const regression = TaskSpecs.regression({ loss: { name: 'huber', options: { delta: 0.25 } } });
    expect((losses.lossForTask(regression) as losses.HuberLoss).options.delta).toBe(0.25);
    const bad = TaskSpecs.contrastive({ loss: { name: 'simclr', options: { temprature: 0.5 } } });
    expect(() => losses.lossForTask(bad)).toThrow(/temprature: not an option of 'simclr'/);
    const unknown = TaskSpecs.causalLm({ vocabSize: 5, loss: { name: 'causal' } });
    expect(() => losses.lossForTask(unknown)).toThrow(/unknown loss 'causal'; known losses:/);
    expect(() => losses.lossForTask(undefined as never)).toThrow(/expected a parsed TaskSpec/);
  });

  it('TaskSpec.loss.name picks a registered user strategy, with its options', () => {
    let seen: Record<string, unknown> | undefined;
    losses.register('focal', (options) => {
      seen = options;
      return { name: 'focal', usesWholeBatch: false, computeLoss: () => ({ loss: torch.tensor(0), numItems: 1 }) };
    });
    const task = TaskSpecs.imageClassification({ numClasses: 10, loss: { name: 'focal', options: { gamma: 2 } } });
    const s = losses.lossForTask(task);
    expect(s.name).toBe('focal');
    expect(seen).toEqual({ gamma: 2 });
  });
});
