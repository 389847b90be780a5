import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores here: more workers only fight over them (each parity file also runs a Python).
    maxWorkers: 2,
    // The memory tests check that the GC backstop frees unscoped tensors.
    execArgv: ['--expose-gc'],
  },
});
