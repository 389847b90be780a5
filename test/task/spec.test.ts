// TaskSpec errors and the shared zod formatting (lib/core/validation.ts): every problem is
// "field: expected; given ...; fix: ...", the same for TaskSpecs, loss options and data options.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatZodError, validationIssues } from '../../lib/core/validation.js';
import { data, losses, TaskSpec, TaskSpecs } from '../../lib/index.js';

describe('TaskSpec validation', () => {
  it('names the field, what was expected, what was given and the fix', () => {
    expect(() => TaskSpec.parse({ type: 'causal_llm' })).toThrow(/type: Invalid option: expected one of .*; given "causal_llm"; fix: use one of causal_lm, masked_lm/);
    expect(() => TaskSpecs.causalLm({ vocabSize: -3 })).toThrow(/vocabSize: Too small: expected number to be >0; given -3; fix: set vocabSize to the tokenizer's vocabulary size/);
    expect(() => TaskSpec.parse({ type: 'causal_lm', fields: { inputs: 'ids', label: 'y' } })).toThrow(/fields: Unrecognized key: "label"; fix: remove label or correct its spelling/);
    expect(() => TaskSpec.parse({ type: 'seq_classification' })).toThrow(/numClasses: required for a seq_classification task .*; given nothing; fix: set numClasses/);
  });

  it('the same helper formats loss and data options', () => {
    expect(() => losses.get('clip', { temperature: 0 })).toThrow(/temperature: Too small: expected number to be >0; given 0; fix: use a value > 0/);
    expect(() => new data.DataLoader(new data.InMemoryDataset([1]), { batchSize: 1.5 })).toThrow(/DataLoader options: batchSize: Invalid input: expected int, received number; given 1.5; fix: give batchSize a value of type int/);
    expect(() => new data.RandomSampler(3, { seed: 'x' as never })).toThrow(/RandomSampler options: seed: .*; given "x"; fix:/);
  });

  it('structured issues: field, expected, given, fix; custom rules keep their own words', () => {
    const schema = z.object({ n: z.number().int().positive(), xs: z.array(z.number()).min(1) }).strict()
      .refine((o) => o.n < 10, { message: 'must be below 10, got more', path: ['n'], params: { fix: 'use a smaller n' } });
    const bad = schema.safeParse({ n: 0, xs: [], extra: 1 });
    expect(bad.success).toBe(false);
    const issues = validationIssues(bad.error!, { n: 0, xs: [], extra: 1 }, { root: '(options)' });
    expect(issues.map((i) => [i.field, i.given, i.fix])).toEqual([
      ['n', '0', 'use a value > 0'],
      ['xs', '[]', 'give xs a length >= 1'],
      ['(options)', 'extra', 'remove extra or correct its spelling'],
    ]);
    const custom = schema.safeParse({ n: 12, xs: [1] });
    expect(formatZodError(custom.error!, { n: 12, xs: [1] })).toEqual(['n: must be below 10, got more; fix: use a smaller n']);
  });
});
