// The typed native interface: every function the addon exports (native/bind_*.cpp, TT_EXPORT),
// with its arguments and result. Handles are branded numbers, so a tensor handle can't be passed
// where an optimizer or a TorchScript module is expected (and no plain number passes for either).
// Only lib/core holds handles; everything above it goes through lib/core's Tensor-level wrappers.

import type {
  AutocastState, DTypeCode, IndexSpecItem, JitWire, ModuleHandle, NamedTensorEntry,
  NativeCudaMemoryStats, NativeDims, NativeGroupInfo, NativeGroupOptions, NativeInfo, NativeMemory,
  NativeOptimizerStepOptions, NativeOptimizerStepResult, NativeReduceOp, NativeScalar, NoTensor,
  OperatorHandle, OperatorSchema, OptimizerHandle, Reduction, RoundingMode, TensorHandle,
} from './native-types.js';

export type * from './native-types.js';

type Unary = (x: TensorHandle) => TensorHandle;
type Binary = (x: TensorHandle, y: TensorHandle) => TensorHandle;
type WithScalar = (x: TensorHandle, s: NativeScalar) => TensorHandle;
type WithAlpha = (x: TensorHandle, y: TensorHandle, alpha?: NativeScalar) => TensorHandle;
type ScalarWithAlpha = (x: TensorHandle, s: NativeScalar, alpha?: NativeScalar) => TensorHandle;
type Division = (x: TensorHandle, y: TensorHandle, roundingMode?: RoundingMode) => TensorHandle;
type ScalarDivision = (x: TensorHandle, s: NativeScalar, roundingMode?: RoundingMode) => TensorHandle;
/** dtype?, device?, requiresGrad? trail every factory. */
type FactoryOptions = [dtype?: DTypeCode, device?: string, requiresGrad?: boolean];
type ShapeFactory = (shape: number[], ...options: FactoryOptions) => TensorHandle;
type LikeFactory = (like: TensorHandle, ...options: FactoryOptions) => TensorHandle;
type Reduce = (x: TensorHandle, dims?: NativeDims, keepdim?: boolean, dtype?: DTypeCode) => TensorHandle;
type DimReduce = (x: TensorHandle, dim?: number, keepdim?: boolean) => TensorHandle;
type ValuesAndIndices = (x: TensorHandle, dim: number, keepdim?: boolean) => [TensorHandle, TensorHandle];
type Statistic = (x: TensorHandle, dims?: NativeDims, correction?: number, keepdim?: boolean) => TensorHandle;
type Cumulative = (x: TensorHandle, dim: number, dtype?: DTypeCode) => TensorHandle;
type SoftmaxLike = (x: TensorHandle, dim: number, dtype?: DTypeCode) => TensorHandle;
type IndexOp = (x: TensorHandle, dim: number, index: TensorHandle, src: TensorHandle) => TensorHandle;
type PointwiseTernary = (x: TensorHandle, t1: TensorHandle, t2: TensorHandle, value?: NativeScalar) => TensorHandle;
type ConvPadding = number[] | 'same' | 'valid';
type Conv = (x: TensorHandle, weight: TensorHandle, bias: TensorHandle | undefined, stride: number[], padding: ConvPadding,
  dilation: number[], groups: number) => TensorHandle;
type PairLoss = (input: TensorHandle, target: TensorHandle, reduction: Reduction) => TensorHandle;

export interface NativeAddon {
  // ---- runtime (bind_runtime.cpp) ----
  setErrorClasses(torchError: new (message: string) => Error, outOfMemoryError: new (message: string) => Error): void;
  free(h: TensorHandle): void;
  freeMany(handles: Int32Array): void;
  memory(): NativeMemory;
  info(): NativeInfo;
  manualSeed(seed: number | bigint): void;
  initialSeed(): bigint;
  seed(): bigint;
  getRngState(device?: string): ArrayBuffer;
  setRngState(state: Uint8Array, device?: string): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setNumInteropThreads(n: number): void;
  getNumInteropThreads(): number;
  // ---- profiler (bind_profiler.cpp) ----
  profilerStart(): void;
  /** Per recorded op: names[k], and numbers[4k..4k+3] = depth, thread (0 the starting one), start ns, duration ns. */
  profilerStop(): { names: string[]; numbers: Float64Array };
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaManualSeed(seed: number | bigint): void;
  cudaSynchronize(device?: number): void;
  /** The CUDA caching allocator's aggregate counters; null without CUDA (machine or libtorch < 2.9). */
  cudaMemoryStats(device?: string): NativeCudaMemoryStats | null;
  /** Resets the peaks; false where there are no statistics. */
  cudaResetPeakMemoryStats(device?: string): boolean;
  setGradEnabled(enabled: boolean): void;
  isGradEnabled(): boolean;

  // ---- tensor data and metadata (bind_tensor_data.cpp) ----
  toBuffer(x: TensorHandle): ArrayBuffer;
  toBytes(x: TensorHandle): ArrayBuffer;
  fromBytes(bytes: Uint8Array, dtype: DTypeCode, shape: number[]): TensorHandle;
  item(x: TensorHandle): number | boolean;
  itemBigInt(x: TensorHandle): bigint;
  shape(x: TensorHandle): number[];
  strides(x: TensorHandle): number[];
  dim(x: TensorHandle): number;
  numel(x: TensorHandle): number;
  dtype(x: TensorHandle): DTypeCode;
  device(x: TensorHandle): string;
  isContiguous(x: TensorHandle): boolean;
  storageOffset(x: TensorHandle): number;
  elementSize(x: TensorHandle): number;
  sameStorage(x: TensorHandle, y: TensorHandle): boolean;

  // ---- creation (bind_creation.cpp) ----
  /** caller names the function in errors ('tensor'). */
  fromData(data: ArrayBufferView, dtype: DTypeCode | undefined, shape: number[], device?: string, requiresGrad?: boolean, caller?: string): TensorHandle;
  scalarTensor(value: NativeScalar, ...options: FactoryOptions): TensorHandle;
  zeros: ShapeFactory;
  ones: ShapeFactory;
  empty: ShapeFactory;
  rand: ShapeFactory;
  randn: ShapeFactory;
  full(shape: number[], value: NativeScalar, ...options: FactoryOptions): TensorHandle;
  randint(low: number, high: number, shape: number[], ...options: FactoryOptions): TensorHandle;
  arange(start: NativeScalar, end: NativeScalar, step: NativeScalar, ...options: FactoryOptions): TensorHandle;
  linspace(start: NativeScalar, end: NativeScalar, steps: number, ...options: FactoryOptions): TensorHandle;
  eye(n: number, m: number | undefined, ...options: FactoryOptions): TensorHandle;
  zerosLike: LikeFactory;
  onesLike: LikeFactory;
  emptyLike: LikeFactory;
  randLike: LikeFactory;
  randnLike: LikeFactory;
  fullLike(like: TensorHandle, value: NativeScalar, ...options: FactoryOptions): TensorHandle;
  randintLike(like: TensorHandle, low: number, high: number, ...options: FactoryOptions): TensorHandle;

  // ---- autograd (bind_autograd.cpp) ----
  requiresGrad(x: TensorHandle): boolean;
  requiresGrad_(x: TensorHandle, flag: boolean): void;
  isLeaf(x: TensorHandle): boolean;
  retainsGrad(x: TensorHandle): boolean;
  retainGrad(x: TensorHandle): void;
  grad(x: TensorHandle): TensorHandle | NoTensor;
  setGrad(x: TensorHandle, g: TensorHandle | NoTensor): void;
  gradFn(x: TensorHandle): string | undefined;
  backward(x: TensorHandle, gradient: TensorHandle | NoTensor, retainGraph?: boolean, createGraph?: boolean): void;
  autogradGrad(outputs: TensorHandle[], inputs: TensorHandle[], gradOutputs: (TensorHandle | null)[] | null | undefined,
    retainGraph: boolean | undefined, createGraph: boolean, allowUnused: boolean): (TensorHandle | NoTensor)[];
  version(x: TensorHandle): number;
  /** The JS function each checkpoint's recompute runs through: fn(id, gradOutput, detachedInputs). */
  checkpointSetDispatcher(fn: (id: number, gradOutput: TensorHandle, inputs: TensorHandle[]) => void): void;
  /** output (detached) with a grad_fn that calls the dispatcher with `id` in backward. */
  checkpointAttach(output: TensorHandle, inputs: TensorHandle[], id: number): TensorHandle;
  /** Ids of checkpoints whose graph has been freed. */
  checkpointReleased(): number[];

  // ---- element-wise (bind_pointwise.cpp) ----
  neg: Unary; abs: Unary; exp: Unary; exp2: Unary; expm1: Unary; log: Unary; log1p: Unary; log2: Unary; log10: Unary;
  sqrt: Unary; rsqrt: Unary; square: Unary; sin: Unary; cos: Unary; tan: Unary; asin: Unary; acos: Unary; atan: Unary;
  sinh: Unary; cosh: Unary; tanh: Unary; sigmoid: Unary; relu: Unary; silu: Unary; erf: Unary; erfinv: Unary;
  sign: Unary; floor: Unary; ceil: Unary; trunc: Unary; frac: Unary; reciprocal: Unary; logicalNot: Unary;
  bitwiseNot: Unary; isnan: Unary; isinf: Unary; isfinite: Unary;
  round(x: TensorHandle, decimals?: number): TensorHandle;
  neg_: Unary; abs_: Unary; exp_: Unary; log_: Unary; log1p_: Unary; sqrt_: Unary; rsqrt_: Unary; square_: Unary;
  sin_: Unary; cos_: Unary; tanh_: Unary; sigmoid_: Unary; relu_: Unary; sign_: Unary; floor_: Unary; ceil_: Unary;
  round_: Unary; trunc_: Unary; reciprocal_: Unary; zero_: Unary; erfinv_: Unary;
  add: WithAlpha; sub: WithAlpha; div: Division;
  mul: Binary; pow: Binary; maximum: Binary; minimum: Binary; remainder: Binary; fmod: Binary; atan2: Binary;
  eq: Binary; ne: Binary; lt: Binary; le: Binary; gt: Binary; ge: Binary;
  logicalAnd: Binary; logicalOr: Binary; logicalXor: Binary; bitwiseAnd: Binary; bitwiseOr: Binary; bitwiseXor: Binary;
  equal(x: TensorHandle, y: TensorHandle): boolean;
  allclose(x: TensorHandle, y: TensorHandle, rtol: number, atol: number, equalNan?: boolean): boolean;
  addScalar: ScalarWithAlpha; subScalar: ScalarWithAlpha; divScalar: ScalarDivision;
  mulScalar: WithScalar; powScalar: WithScalar; remainderScalar: WithScalar; fmodScalar: WithScalar;
  eqScalar: WithScalar; neScalar: WithScalar; ltScalar: WithScalar; leScalar: WithScalar; gtScalar: WithScalar; geScalar: WithScalar;
  maximumScalar: WithScalar; minimumScalar: WithScalar;
  rsubScalar: WithScalar; rdivScalar: WithScalar; rpowScalar: WithScalar;
  add_: WithAlpha; sub_: WithAlpha; div_: Division; mul_: Binary; pow_: Binary;
  addScalar_: ScalarWithAlpha; subScalar_: ScalarWithAlpha; divScalar_: ScalarDivision; mulScalar_: WithScalar; powScalar_: WithScalar;

  // ---- linear algebra, activations, fills, random (bind_math.cpp) ----
  matmul: Binary; mm: Binary; bmm: Binary; outer: Binary; dot: Binary;
  addmm(bias: TensorHandle, x: TensorHandle, w: TensorHandle, beta?: NativeScalar, alpha?: NativeScalar): TensorHandle;
  baddbmm(input: TensorHandle, b1: TensorHandle, b2: TensorHandle, beta?: NativeScalar, alpha?: NativeScalar): TensorHandle;
  linear(x: TensorHandle, weight: TensorHandle, bias?: TensorHandle): TensorHandle;
  softmax: SoftmaxLike;
  logSoftmax: SoftmaxLike;
  clamp(x: TensorHandle, min?: NativeScalar, max?: NativeScalar): TensorHandle;
  clampTensor(x: TensorHandle, min: TensorHandle | NoTensor, max: TensorHandle | NoTensor): TensorHandle;
  clamp_(x: TensorHandle, min?: NativeScalar, max?: NativeScalar): TensorHandle;
  lerp(x: TensorHandle, end: TensorHandle, weight: number): TensorHandle;
  lerp(x: TensorHandle, end: TensorHandle, weight: TensorHandle, weightIsTensor: true): TensorHandle;
  lerpScalar_(x: TensorHandle, end: TensorHandle, weight: NativeScalar): TensorHandle;
  addcmul: PointwiseTernary; addcdiv: PointwiseTernary; addcmul_: PointwiseTernary; addcdiv_: PointwiseTernary;
  nanToNum(x: TensorHandle, nan?: number, posinf?: number, neginf?: number): TensorHandle;
  copy_(x: TensorHandle, src: TensorHandle, nonBlocking?: boolean): TensorHandle;
  fill_(x: TensorHandle, value: NativeScalar): TensorHandle;
  fillTensor_(x: TensorHandle, value: TensorHandle): TensorHandle;
  uniform_(x: TensorHandle, from?: number, to?: number): TensorHandle;
  normal_(x: TensorHandle, mean?: number, std?: number): TensorHandle;
  bernoulli_(x: TensorHandle, p?: number): TensorHandle;
  exponential_(x: TensorHandle, lambda?: number): TensorHandle;
  bernoulli: Unary;
  multinomial(probs: TensorHandle, numSamples: number, replacement?: boolean): TensorHandle;
  scalarErf(x: number): number;

  // ---- reductions (bind_reduction.cpp) ----
  sum: Reduce;
  mean: Reduce;
  prod(x: TensorHandle, dim?: number, keepdim?: boolean, dtype?: DTypeCode): TensorHandle;
  max: Unary; min: Unary;
  maxDim: ValuesAndIndices; minDim: ValuesAndIndices;
  amax(x: TensorHandle, dims?: NativeDims, keepdim?: boolean): TensorHandle;
  amin(x: TensorHandle, dims?: NativeDims, keepdim?: boolean): TensorHandle;
  argmax: DimReduce; argmin: DimReduce;
  std: Statistic; var: Statistic;
  norm(x: TensorHandle, p?: number, dims?: NativeDims, keepdim?: boolean): TensorHandle;
  logsumexp(x: TensorHandle, dims?: NativeDims, keepdim?: boolean): TensorHandle;
  cumsum: Cumulative; cumprod: Cumulative;
  topk(x: TensorHandle, k: number, dim?: number, largest?: boolean, sorted?: boolean): [TensorHandle, TensorHandle];
  sort(x: TensorHandle, dim?: number, descending?: boolean, stable?: boolean): [TensorHandle, TensorHandle];
  argsort(x: TensorHandle, dim?: number, descending?: boolean, stable?: boolean): TensorHandle;
  all: DimReduce; any: DimReduce;
  countNonzero(x: TensorHandle, dims?: NativeDims): TensorHandle;

  // ---- shapes and views (bind_shape.cpp) ----
  reshape(x: TensorHandle, shape: number[]): TensorHandle;
  view(x: TensorHandle, shape: number[]): TensorHandle;
  viewDtype(x: TensorHandle, dtype: DTypeCode): TensorHandle;
  flatten(x: TensorHandle, startDim?: number, endDim?: number): TensorHandle;
  unflatten(x: TensorHandle, dim: number, sizes: number[]): TensorHandle;
  squeeze(x: TensorHandle, dims?: NativeDims): TensorHandle;
  unsqueeze(x: TensorHandle, dim: number): TensorHandle;
  permute(x: TensorHandle, dims: number[]): TensorHandle;
  transpose(x: TensorHandle, dim0: number, dim1: number): TensorHandle;
  t: Unary;
  movedim(x: TensorHandle, source: NativeDims, destination: NativeDims): TensorHandle;
  expand(x: TensorHandle, shape: number[]): TensorHandle;
  broadcastTo(x: TensorHandle, shape: number[]): TensorHandle;
  repeat(x: TensorHandle, repeats: number[]): TensorHandle;
  repeatInterleave(x: TensorHandle, repeats: number, dim?: number | null): TensorHandle;
  flip(x: TensorHandle, dims: NativeDims): TensorHandle;
  roll(x: TensorHandle, shifts: NativeDims, dims?: NativeDims): TensorHandle;
  cat(tensors: TensorHandle[], dim?: number): TensorHandle;
  stack(tensors: TensorHandle[], dim?: number): TensorHandle;
  split(x: TensorHandle, sizeOrSizes: NativeDims, dim?: number): TensorHandle[];
  chunk(x: TensorHandle, chunks: number, dim?: number): TensorHandle[];
  unbind(x: TensorHandle, dim?: number): TensorHandle[];
  narrow(x: TensorHandle, dim: number, start: number, length: number): TensorHandle;
  select(x: TensorHandle, dim: number, index: number): TensorHandle;
  contiguous: Unary; clone: Unary; detach: Unary;
  tril(x: TensorHandle, diagonal?: number): TensorHandle;
  triu(x: TensorHandle, diagonal?: number): TensorHandle;
  diag(x: TensorHandle, diagonal?: number): TensorHandle;
  to(x: TensorHandle, dtype?: DTypeCode, device?: string, nonBlocking?: boolean, copy?: boolean): TensorHandle;
  pad(x: TensorHandle, pads: number[], mode?: string, value?: number): TensorHandle;

  // ---- indexing (bind_indexing.cpp) ----
  index(x: TensorHandle, spec: IndexSpecItem[]): TensorHandle;
  indexPut_(x: TensorHandle, spec: IndexSpecItem[], value: TensorHandle, valueIsTensor: true): TensorHandle;
  indexPut_(x: TensorHandle, spec: IndexSpecItem[], value: NativeScalar, valueIsTensor: false): TensorHandle;
  gather(x: TensorHandle, dim: number, index: TensorHandle): TensorHandle;
  scatter(x: TensorHandle, dim: number, index: TensorHandle, src: TensorHandle, reduce?: string): TensorHandle;
  scatterValue(x: TensorHandle, dim: number, index: TensorHandle, value: NativeScalar): TensorHandle;
  scatter_: IndexOp; scatterAdd: IndexOp; scatterAdd_: IndexOp; indexAdd: IndexOp;
  scatterReduce(x: TensorHandle, dim: number, index: TensorHandle, src: TensorHandle, reduce: string, includeSelf?: boolean): TensorHandle;
  indexSelect(x: TensorHandle, dim: number, index: TensorHandle): TensorHandle;
  maskedFill(x: TensorHandle, mask: TensorHandle, value: TensorHandle, valueIsTensor: true): TensorHandle;
  maskedFill(x: TensorHandle, mask: TensorHandle, value: NativeScalar, valueIsTensor: false): TensorHandle;
  maskedFill_(x: TensorHandle, mask: TensorHandle, value: TensorHandle, valueIsTensor: true): TensorHandle;
  maskedFill_(x: TensorHandle, mask: TensorHandle, value: NativeScalar, valueIsTensor: false): TensorHandle;
  maskedSelect: Binary;
  nonzero: Unary;
  where(cond: TensorHandle, x: TensorHandle | NativeScalar, y: TensorHandle | NativeScalar, xIsTensor: boolean, yIsTensor: boolean): TensorHandle;
  oneHot(indices: TensorHandle, numClasses?: number): TensorHandle;

  // ---- nn kernels and losses (bind_nn.cpp) ----
  conv1d: Conv;
  conv2d: Conv;
  convTranspose2d(x: TensorHandle, weight: TensorHandle, bias: TensorHandle | undefined, stride: number[], padding: number[],
    outputPadding: number[], groups: number, dilation: number[]): TensorHandle;
  maxPool2d(x: TensorHandle, kernel: number[], stride: number[], padding: number[], dilation: number[], ceilMode: boolean): TensorHandle;
  avgPool2d(x: TensorHandle, kernel: number[], stride: number[], padding: number[], ceilMode: boolean, countIncludePad: boolean,
    divisorOverride?: number): TensorHandle;
  adaptiveAvgPool2d(x: TensorHandle, outputSize: number[]): TensorHandle;
  batchNorm(x: TensorHandle, weight: TensorHandle | undefined, bias: TensorHandle | undefined, runningMean: TensorHandle | undefined,
    runningVar: TensorHandle | undefined, training: boolean, momentum: number, eps: number): TensorHandle;
  layerNorm(x: TensorHandle, normalizedShape: number[], weight: TensorHandle | undefined, bias: TensorHandle | undefined, eps: number): TensorHandle;
  groupNorm(x: TensorHandle, numGroups: number, weight: TensorHandle | undefined, bias: TensorHandle | undefined, eps: number): TensorHandle;
  rmsNorm(x: TensorHandle, normalizedShape: number[], weight: TensorHandle | undefined, eps?: number): TensorHandle;
  embedding(weight: TensorHandle, indices: TensorHandle, paddingIdx: number, scaleGradByFreq: boolean, sparse: boolean): TensorHandle;
  dropout(x: TensorHandle, p: number, training: boolean): TensorHandle;
  gelu(x: TensorHandle, approximate?: 'none' | 'tanh'): TensorHandle;
  logSigmoid: Unary;
  softplus(x: TensorHandle, beta: NativeScalar, threshold: NativeScalar): TensorHandle;
  leakyRelu(x: TensorHandle, negativeSlope: NativeScalar): TensorHandle;
  elu(x: TensorHandle, alpha: NativeScalar): TensorHandle;
  hardtanh(x: TensorHandle, minVal: NativeScalar, maxVal: NativeScalar): TensorHandle;
  crossEntropy(input: TensorHandle, target: TensorHandle, weight: TensorHandle | undefined, reduction: Reduction, ignoreIndex?: number,
    labelSmoothing?: number): TensorHandle;
  /** -> [sum, counted (0-d float64), targets (0-d int64)], nothing read to the host. */
  summedCrossEntropy(logits: TensorHandle, targets: TensorHandle, weight: TensorHandle | undefined, ignoreIndex: number,
    labelSmoothing: number): [sum: TensorHandle, counted: TensorHandle, targets: TensorHandle];
  nllLoss(input: TensorHandle, target: TensorHandle, weight: TensorHandle | undefined, reduction: Reduction, ignoreIndex?: number): TensorHandle;
  mseLoss: PairLoss;
  l1Loss: PairLoss;
  smoothL1Loss(input: TensorHandle, target: TensorHandle, reduction: Reduction, beta?: number): TensorHandle;
  huberLoss(input: TensorHandle, target: TensorHandle, reduction: Reduction, delta?: number): TensorHandle;
  bceWithLogits(input: TensorHandle, target: TensorHandle, weight: TensorHandle | undefined, posWeight: TensorHandle | undefined,
    reduction: Reduction): TensorHandle;
  klDiv(input: TensorHandle, target: TensorHandle, reduction: Reduction, logTarget: boolean): TensorHandle;
  cosineSimilarity(x1: TensorHandle, x2: TensorHandle, dim: number, eps: number): TensorHandle;
  sdpa(q: TensorHandle, k: TensorHandle, v: TensorHandle, attnMask: TensorHandle | undefined, dropoutP: number, isCausal: boolean,
    scale?: number): TensorHandle;
  setData(x: TensorHandle, source: TensorHandle): void;

  // ---- optimizers, clipping, the loss scaler, the optimizer step (bind_optimizer*.cpp, bind_clip.cpp, bind_grad_scaler.cpp) ----
  optimCreate(kind: 'adamw' | 'sgd'): OptimizerHandle;
  optimFree(opt: OptimizerHandle): void;
  optimAddGroup(opt: OptimizerHandle, params: TensorHandle[], options: Partial<NativeGroupOptions>): number;
  optimSetGroup(opt: OptimizerHandle, group: number, options: Partial<NativeGroupOptions>): void;
  optimGetGroup(opt: OptimizerHandle, group: number): NativeGroupOptions;
  optimStep(opt: OptimizerHandle): void;
  optimZeroGrad(opt: OptimizerHandle, setToNone: boolean): void;
  /** Per parameter (all groups in order): state name -> a new handle to the state tensor itself. */
  optimGetState(opt: OptimizerHandle): Record<string, TensorHandle>[];
  optimSetState(opt: OptimizerHandle, paramIndex: number, name: string, value: TensorHandle): void;
  clipGradNorm(params: TensorHandle[], maxNorm: number, normType: number, errorIfNonfinite?: boolean): TensorHandle;
  clipGradValue(params: TensorHandle[], clipValue: number): void;
  gradScalerUnscale(params: TensorHandle[], foundInf: TensorHandle, invScale: TensorHandle): void;
  gradScalerUpdate(scale: TensorHandle, growthTracker: TensorHandle, foundInf: TensorHandle, growthFactor: number, backoffFactor: number,
    growthInterval: number): void;
  /** The whole optimizer update in one call (unscale, non-finite check, clip, step unless skipped, scaler update, zero grad). */
  optimizerStep(opt: OptimizerHandle, options: NativeOptimizerStepOptions): NativeOptimizerStepResult;

  // ---- autocast (bind_amp.cpp) ----
  autocastGet(deviceType: string): AutocastState;
  autocastEnter(deviceType: string, enabled: boolean, dtype: DTypeCode, cacheEnabled: boolean): void;
  autocastExit(deviceType: string, enabled: boolean, dtype: DTypeCode, cacheEnabled: boolean): void;

  // ---- the dispatcher (bind_dispatch.cpp) ----
  opSchema(name: string, overload?: string): OperatorSchema;
  opCall(op: OperatorHandle, args: unknown[]): unknown;
  opOverloads(name: string): string[];

  // ---- TorchScript (bind_jit.cpp) ----
  jitLoad(path: string, device?: string): ModuleHandle;
  jitSave(module: ModuleHandle, path: string): void;
  jitFree(module: ModuleHandle): void;
  jitNamedParameters(module: ModuleHandle, recurse?: boolean): NamedTensorEntry[];
  jitNamedBuffers(module: ModuleHandle, recurse?: boolean): NamedTensorEntry[];
  jitNamedModules(module: ModuleHandle): [name: string, module: ModuleHandle][];
  jitTrain(module: ModuleHandle, mode: boolean, recursive?: boolean): void;
  jitIsTraining(module: ModuleHandle): boolean;
  jitTypeName(module: ModuleHandle): string;
  jitForward(module: ModuleHandle, args: JitWire[]): JitWire;
  jitRunMethod(module: ModuleHandle, name: string, args: JitWire[]): JitWire;
  jitMethodNames(module: ModuleHandle): string[];
  jitMethodSchema(module: ModuleHandle, name: string): string;

  // ---- distributed process groups on c10d (bind_distributed.cpp); collectives work in place ----
  distInitProcessGroup(backend: 'gloo' | 'nccl', rank: number, worldSize: number, masterAddr: string, masterPort: number,
    timeoutMs: number, useAgentStore: boolean, storePrefix?: string, interfaces?: string[]): void;
  distIsInitialized(): boolean;
  distGroupInfo(): NativeGroupInfo;
  distDestroyProcessGroup(): void;
  distAllReduce(x: TensorHandle, op: NativeReduceOp): void;
  distBroadcast(x: TensorHandle, src: number): void;
  distAllGather(x: TensorHandle): TensorHandle[];
  distReduceScatter(output: TensorHandle, inputs: TensorHandle[], op: NativeReduceOp): void;
  distBarrier(): void;
  /** The backends compiled in: [] without c10d, ['gloo'], or ['gloo', 'nccl'] on CUDA builds. */
  distBackends(): string[];
  /** Gradient all-reduce overlapped with backward: params in bucket order, bucketSizes[k] of them in bucket k; returns the bucket count. */
  distReducerAttach(params: TensorHandle[], bucketSizes: number[]): number;
  distReducerArm(): void;
  distReducerFinalize(): number;
  distReducerDetach(): void;
}
