// torchtrain's engine (wave 1 part 4 builds the Trainer here).
export { GradientAccumulator, type AccumulationStats } from './gradient-accumulator.js';
