// Every example config (examples/configs/*.yaml) runs through the CLI for 3 steps: the configs
// in the README stay runnable, offline, on the data the repository's npm packages ship.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../../lib/cli/session.js';
import { ROOT, explain, runCli } from './cli-process.js';

const CONFIGS = path.join(ROOT, 'examples/configs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cli-examples-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const names = fs.readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml')).sort();

describe('examples/configs', () => {
  it('has one config per example task', () => {
    expect(names).toEqual(['causal-lm.yaml', 'contrastive.yaml', 'hf-minilm-spam.yaml', 'image-classification.yaml', 'masked-lm.yaml', 'sequence-classification.yaml']);
  });

  it.each(names)('%s trains 3 steps through `torchtrain fit`', async (name) => {
    const runDir = path.join(work, name.replace('.yaml', ''));
    const text = fs.readFileSync(path.join(CONFIGS, name), 'utf8');
    // A quick run: 3 steps, a warm-up that fits in them, 40 validation samples where the data module takes a limit.
    const quick = ['--set', 'trainer.maxSteps=3', ...(/warmupSteps/.test(text) ? ['--set', 'trainer.schedule.warmupSteps=1'] : []),
      ...(/val: \{ module:/.test(text) ? ['--set', 'data.val.options.limit=40'] : [])];
    const r = await runCli(['fit', '--config', path.join(CONFIGS, name), ...quick, '--run-dir', runDir], { timeoutMs: 240_000 });
    expect(r.code, explain(r, name)).toBe(0);
    const session = SessionManager.open(runDir);
    expect(session.status).toBe('completed');
    expect(session.phase('train')!.summary).toMatchObject({ steps: 3 });
    // A Hugging Face model is exported as a folder transformers reads (test/config/hf-run.test.ts loads it); the rest as a bundle.
    const exported = name.startsWith('hf-') ? 'config.json' : 'bundle.json';
    expect(fs.existsSync(path.join(runDir, 'export', exported)), `export: ${exported}`).toBe(true);
  }, 300_000);

  it('predict on the causal LM run: text lines tokenized as the training text, one predicted id per character', async () => {
    const runDir = path.join(work, 'causal-lm');
    const input = path.join(work, 'prompts.jsonl');
    fs.writeFileSync(input, '{"text": "Call me Ishmael."}\n{"text": "whale"}\n');
    const out = path.join(work, 'lm-predictions.jsonl');
    const r = await runCli(['predict', runDir, '--input', input, '--out', out, '--batch-size', '1']);
    expect(r.code, explain(r, 'predict')).toBe(0);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((row) => row.prediction.length)).toEqual([16, 5]);
  }, 120_000);
});
