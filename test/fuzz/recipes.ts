// Plausible arguments for the API's constructors and a few functions, so the fuzz gets past
// argument checks and reaches real objects (a Linear to run forward on, an AdamW to step, a
// Trainer to fit) whose methods it then calls with random arguments. Each recipe keeps sizes
// small (a call stays well under a second) and the fuzz mutates one argument of a recipe call
// some of the time. A recipe is keyed by the target's name (see api-surface.ts).
import { Tensor, data, nn, optim, torch } from '../../lib/index.js';
import { type ValueMaker } from './random-values.js';

type Recipe = (v: ValueMaker) => unknown[];

const small = (v: ValueMaker, lo = 1, hi = 6) => v.rng.range(lo, hi);
const modules = (v: ValueMaker) => v.pool.filter((o) => o instanceof nn.Module) as nn.Module[];
const someModule = (v: ValueMaker) => (modules(v).length && v.rng.chance(0.7) ? v.rng.pick(modules(v)) : new nn.Linear(small(v), small(v)));
const params = (v: ValueMaker) => {
  const m = someModule(v);
  return v.rng.chance(0.8) ? m.parameters() : [{ params: m.parameters(), lr: v.number() }];
};
const ofClass = (v: ValueMaker, name: string) => {
  const found = v.pool.filter((o) => o.constructor?.name === name);
  return found.length ? v.rng.pick(found) : undefined;
};
const anOptimizer = (v: ValueMaker) => ofClass(v, 'AdamW') ?? ofClass(v, 'SGD') ?? new optim.AdamW(params(v) as never);

const regressionRows = (v: ValueMaker, n = small(v, 0, 6)) =>
  Array.from({ length: n }, () => {
    const rows = small(v, 1, 3);
    return { x: torch.randn([rows, 3]), y: torch.randn([rows, 1]) };
  });
const aFile = (v: ValueMaker) => (v.sandbox.files.length ? v.rng.pick(v.sandbox.files) : v.string());
const samples = (v: ValueMaker) => Array.from({ length: small(v, 0, 8) }, () => ({ x: [v.number(), v.number()], labels: v.rng.range(0, 2) }));
const TEXT = 'Call me Ishmael. Some years ago, never mind how long precisely.';

/** aten operators the fuzz calls through torch.ops (the dispatcher entry point). */
export const OPERATORS = ['aten::add', 'aten::add.Tensor', 'aten::zeros', 'aten::ones', 'aten::empty.memory_format', 'aten::full', 'aten::arange',
  'aten::mul.Tensor', 'aten::sum', 'aten::sum.dim_IntList', 'aten::mean', 'aten::cat', 'aten::stack', 'aten::view', 'aten::reshape', 'aten::expand',
  'aten::narrow', 'aten::select.int', 'aten::slice.Tensor', 'aten::index_select', 'aten::gather', 'aten::scatter.src', 'aten::embedding',
  'aten::matmul', 'aten::linear', 'aten::conv2d', 'aten::max_pool2d', 'aten::softmax.int', 'aten::log_softmax.int', 'aten::cross_entropy_loss',
  'aten::nll_loss', 'aten::topk', 'aten::sort', 'aten::repeat', 'aten::flip', 'aten::roll', 'aten::tril', 'aten::one_hot', 'aten::randperm',
  'aten::multinomial', 'aten::bincount', 'aten::unique_consecutive', 'aten::masked_fill.Scalar', 'aten::clamp', 'aten::pow.Tensor_Scalar',
  'aten::to.dtype', 'aten::contiguous', 'aten::t', 'aten::permute', 'aten::squeeze.dim', 'aten::unsqueeze', 'aten::split.Tensor',
  'aten::chunk', 'aten::item', 'aten::layer_norm', 'aten::group_norm', 'aten::batch_norm', 'aten::dropout', 'aten::pad', 'aten::eye',
  'aten::linspace', 'aten::diag', 'aten::nonzero', 'aten::where.self', 'aten::argmax', 'aten::cumsum', 'aten::resize_', 'aten::fill_.Scalar'];

export const RECIPES: Record<string, Recipe> = {
  'torch.tensor': (v) => [v.rng.chance(0.3) ? v.typedArray() : v.array(0), v.rng.chance(0.5) ? { dtype: v.rng.pick(['float32', 'int64', 'int8', 'int32', 'uint8', 'bool', 'float16']) } : undefined],
  'torch.ops.call': (v) => [v.rng.pick(OPERATORS), ...v.args()],
  'torch.ops.schema': (v) => [v.rng.pick(OPERATORS)],
  'io.load': (v) => [aFile(v)],
  'io.loadValues': (v) => [aFile(v)],
  'io.loadSafetensors': (v) => [aFile(v)],
  'io.loadSafetensorsWithMetadata': (v) => [aFile(v)],
  'io.readSafetensorsHeader': (v) => [aFile(v)],
  'jit.load': (v) => [aFile(v)],
  'data.readIdx': (v) => [aFile(v)],
  'data.TextCorpus.fromFile': (v) => [aFile(v), { blockSize: small(v, 1, 4) }],
  'new data.JsonlDataset': (v) => [aFile(v)],
  'new nn.Linear': (v) => [small(v), small(v), v.rng.chance(0.3) ? { bias: v.rng.chance(0.5) } : undefined],
  'new nn.Conv1d': (v) => [small(v), small(v), small(v, 1, 3)],
  'new nn.Conv2d': (v) => [small(v), small(v), small(v, 1, 3), v.rng.chance(0.5) ? { padding: small(v, 0, 2), stride: small(v, 1, 2) } : undefined],
  'new nn.ConvTranspose2d': (v) => [small(v), small(v), small(v, 1, 3)],
  'new nn.MaxPool2d': (v) => [small(v, 1, 3)],
  'new nn.AvgPool2d': (v) => [small(v, 1, 3)],
  'new nn.AdaptiveAvgPool2d': (v) => [small(v, 1, 3)],
  'new nn.BatchNorm1d': (v) => [small(v)],
  'new nn.BatchNorm2d': (v) => [small(v)],
  'new nn.LayerNorm': (v) => [small(v)],
  'new nn.GroupNorm': (v) => [small(v, 1, 2), 2 * small(v, 1, 3)],
  'new nn.RMSNorm': (v) => [small(v)],
  'new nn.Embedding': (v) => [small(v, 1, 10), small(v)],
  'new nn.SinusoidalPositionalEmbedding': (v) => [2 * small(v), small(v, 1, 16)],
  'new nn.LearnedPositionalEmbedding': (v) => [small(v, 1, 16), small(v)],
  'new nn.MultiheadAttention': (v) => { const h = small(v, 1, 2); return [h * small(v, 1, 4), h]; },
  'new nn.TransformerEncoderLayer': (v) => { const h = small(v, 1, 2); return [h * small(v, 1, 4), h, { dimFeedforward: small(v, 1, 8) }]; },
  'new nn.TransformerDecoderBlock': (v) => { const h = small(v, 1, 2); return [h * small(v, 1, 4), h, { dimFeedforward: small(v, 1, 8) }]; },
  'new nn.Sequential': (v) => Array.from({ length: small(v, 0, 3) }, () => someModule(v)),
  'new nn.ModuleList': (v) => [Array.from({ length: small(v, 0, 3) }, () => someModule(v))],
  'new nn.ModuleDict': (v) => [{ a: someModule(v), b: someModule(v) }],
  'new nn.Parameter': (v) => [v.tensor()],
  'new optim.AdamW': (v) => [params(v), v.rng.chance(0.5) ? { lr: v.number() } : {}],
  'new optim.SGD': (v) => [params(v), { lr: 0.1, momentum: v.rng.pick([0, 0.9]) }],
  'new optim.OneCycleLR': (v) => [anOptimizer(v), { maxLr: 0.1, totalSteps: small(v, 1, 20) }],
  'new optim.WarmupCosineLR': (v) => [anOptimizer(v), { warmupSteps: small(v, 0, 5), totalSteps: small(v, 5, 20) }],
  'new optim.WarmupLinearLR': (v) => [anOptimizer(v), { warmupSteps: small(v, 0, 5), totalSteps: small(v, 5, 20) }],
  'new optim.WarmupConstantLR': (v) => [anOptimizer(v), { warmupSteps: small(v, 0, 5) }],
  'new optim.StepLR': (v) => [anOptimizer(v), small(v, 1, 5)],
  'new optim.ReduceLROnPlateau': (v) => [anOptimizer(v), {}],
  'optim.clipGradNorm': (v) => [someModule(v).parameters(), v.number()],
  'new amp.GradScaler': () => [{}],
  'new models.MLP': (v) => [{ inFeatures: small(v), outFeatures: small(v), hiddenSizes: [small(v)] }],
  'new models.LeNet': () => [{}],
  'new models.ResNetMini': (v) => [{ widths: [small(v, 1, 4)], numClasses: small(v, 1, 4) }],
  'new models.ViTMini': () => [{ imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 8, numClasses: 3 }],
  'new models.GPT': (v) => [{ vocabSize: small(v, 2, 16), blockSize: small(v, 1, 8), nLayer: 1, nHead: 2, nEmbd: 8 }],
  'new models.Bert': (v) => [{ vocabSize: small(v, 2, 16), maxLength: 8, hidden: 8, layers: 1, heads: 2, intermediate: 8, numClasses: v.rng.chance(0.5) ? 3 : undefined }],
  'new models.CLIP': () => [{ embedDim: 8, image: { imageSize: 8, patchSize: 4, dim: 8, depth: 1, heads: 2, mlpDim: 8 }, text: { vocabSize: 12, contextLength: 6, width: 8, layers: 1, heads: 2 } }],
  'new data.InMemoryDataset': (v) => [samples(v)],
  'new data.TensorDataset': (v) => { const n = small(v, 0, 5); return [{ x: torch.randn([n, 2]), labels: torch.randint(0, 2, [n]) }]; },
  'new data.TextCorpus': (v) => [TEXT, { blockSize: small(v, 1, 8) }],
  'new data.CharTokenizer': () => [TEXT],
  'new data.SequentialSampler': (v) => [small(v, 0, 10)],
  'new data.RandomSampler': (v) => [small(v, 0, 10), { seed: v.rng.range(0, 9) }],
  'new data.DistributedSampler': (v) => [small(v, 0, 10), { rank: v.rng.range(0, 1), worldSize: 2 }],
  'new data.DataLoader': (v) => [ofClass(v, 'InMemoryDataset') ?? new data.InMemoryDataset(samples(v)), { batchSize: small(v, 1, 4), numWorkers: v.rng.chance(0.15) ? 1 : 0, shuffle: v.rng.chance(0.5) }],
  'new data.SeededRandom': (v) => [v.rng.range(0, 100)],
  'new Trainer': (v) => [{
    model: new nn.Linear(3, 1),
    task: { type: 'regression', fields: { inputs: 'x', labels: 'y' } },
    train: regressionRows(v),
    val: v.rng.chance(0.5) ? regressionRows(v, 2) : undefined,
    config: { maxSteps: small(v, 1, 4), schedule: { name: v.rng.pick(['constant', 'onecycle', 'warmup_cosine']) }, maxGradNorm: v.rng.chance(0.5) ? 1 : undefined },
  }],
  'new engine.OptimizerStep': (v) => [anOptimizer(v), {}],
  'new engine.GradientAccumulator': (v) => [small(v, 1, 4)],
  'new metrics.MetricsTracker': () => [['loss', 'accuracy']],
};

/** A recipe's arguments with, some of the time, one of them (or one option field) replaced by junk. */
export function recipeArgs(name: string, v: ValueMaker): unknown[] | undefined {
  const recipe = RECIPES[name];
  if (!recipe) return undefined;
  const args = recipe(v);
  if (args.length && v.rng.chance(0.3)) {
    const i = v.rng.int(args.length);
    const arg = args[i];
    if (arg && typeof arg === 'object' && !Array.isArray(arg) && !(arg instanceof Tensor) && Object.getPrototypeOf(arg) === Object.prototype && v.rng.chance(0.6)) {
      const keys = Object.keys(arg);
      const key = keys.length && v.rng.chance(0.7) ? v.rng.pick(keys) : v.string();
      args[i] = { ...(arg as object), [key]: v.value() };
    } else {
      args[i] = v.value();
    }
  }
  return args;
}
