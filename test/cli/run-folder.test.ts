// `torchtrain fit` into a run folder, then the commands that read one: validate, predict,
// export; and the errors of a bad config (exit 1, file:line, no stack trace).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../../lib/cli/session.js';
import { defaultRunDir, safeName, timestamp } from '../../lib/cli/run-folder.js';
import { explain, runCli } from './cli-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-cli-run-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const DATA = path.join(HERE, 'fixtures/tiny-data.ts');
const CONFIG = `version: 2
name: tiny-mlp
model: { zoo: mlp, config: { inFeatures: 4, hiddenSizes: [8], outFeatures: 1 } }
task: { type: regression }
data:
  train: { module: ${DATA}, export: regression, options: { n: 32 } }
  val: { module: ${DATA}, export: regression, options: { n: 8, seed: 3 } }
  batchSize: 8
trainer: { maxSteps: 6, optimizer: { lr: 1.0e-2 } }
`;

describe('run folder names', () => {
  it('runs/<name>-<timestamp>, a taken name gets a suffix', () => {
    const date = new Date(2026, 10, 30, 8, 24, 31);
    expect(timestamp(date)).toBe('20261130-082431');
    expect(safeName('my run/1')).toBe('my-run-1');
    const root = path.join(work, 'names');
    const first = defaultRunDir('tiny', root, date);
    expect(first).toBe(path.join(root, 'tiny-20261130-082431'));
    fs.mkdirSync(first, { recursive: true });
    expect(defaultRunDir('tiny', root, date)).toBe(`${first}-2`);
  });
});

describe('torchtrain fit, validate, predict, export', () => {
  const config = path.join(work, 'tiny.yaml');
  fs.writeFileSync(config, CONFIG);
  const runDir = path.join(work, 'run');

  it('fit writes the run folder: config, session, checkpoints, logs, dashboard, evaluation, export', async () => {
    const r = await runCli(['fit', '--config', config, '--run-dir', runDir, '--set', 'trainer.maxSteps=5']);
    expect(r.code, explain(r, 'fit')).toBe(0);
    for (const f of ['config.yaml', 'session.json', 'checkpoints', 'logs/metrics.jsonl', 'dashboard.html', 'evaluation.json', 'data-profile.json', 'export']) {
      if (f === 'data-profile.json' && !SessionManager.open(runDir).phase('check')?.summary?.profiled) continue;
      expect(fs.existsSync(path.join(runDir, f)), `${f} in the run folder`).toBe(true);
    }
    // the override is in the resolved config; the folder's own paths stay relative
    const yaml = fs.readFileSync(path.join(runDir, 'config.yaml'), 'utf8');
    expect(yaml).toMatch(/maxSteps: 5/);
    expect(yaml).toMatch(/dir: checkpoints/);
    const session = SessionManager.open(runDir);
    expect(session.status).toBe('completed');
    expect(session.phases.map((p) => p.name)).toEqual(['prepare-data', 'build-model', 'check', 'train', 'evaluate', 'export']);
    expect(session.phase('train')!.summary).toMatchObject({ steps: 5 });
    expect(session.attempts[0]!.command).toEqual(['fit', '--config', config, '--run-dir', runDir, '--set', 'trainer.maxSteps=5']);
    const logRows = fs.readFileSync(path.join(runDir, 'logs/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(logRows.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(runDir, 'export', 'bundle.json'))).toBe(true);
  }, 180_000);

  it('fit refuses a run folder that already holds a session (exit 1)', async () => {
    const r = await runCli(['fit', '--config', config, '--run-dir', runDir]);
    expect(r.code, explain(r, 'fit into a used run folder')).toBe(1);
    expect(r.stderr).toMatch(/already holds a session.*torchtrain resume/);
  }, 60_000);

  it('validate prints the metrics of the newest checkpoint as JSON', async () => {
    const r = await runCli(['validate', runDir]);
    expect(r.code, explain(r, 'validate')).toBe(0);
    const metrics = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(metrics.loss).toBeCloseTo(JSON.parse(fs.readFileSync(path.join(runDir, 'evaluation.json'), 'utf8')).loss, 6);
  }, 120_000);

  it('predict writes one JSON line per input sample', async () => {
    const input = path.join(work, 'input.jsonl');
    const samples = [[0.1, 0.2, 0.3, 0.4], [-1, 0, 1, 0.5], [0, 0, 0, 0]].map((features) => JSON.stringify({ features, labels: [0] }));
    fs.writeFileSync(input, `${samples.join('\n')}\n`);
    const out = path.join(work, 'predictions.jsonl');
    const r = await runCli(['predict', runDir, '--input', input, '--out', out, '--batch-size', '2']);
    expect(r.code, explain(r, 'predict')).toBe(0);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((row) => row.index)).toEqual([0, 1, 2]);
    for (const row of rows) expect(typeof row.prediction).toBe('number');
  }, 120_000);

  it('export writes a bundle of the newest checkpoint', async () => {
    const out = path.join(work, 'bundle');
    const r = await runCli(['export', runDir, '--out', out]);
    expect(r.code, explain(r, 'export')).toBe(0);
    expect(fs.existsSync(path.join(out, 'bundle.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  }, 120_000);

  it('resume continues after the last completed phase (a copied run folder: train done, evaluate and export not)', async () => {
    const copy = path.join(work, 'run-copy');
    fs.cpSync(runDir, copy, { recursive: true });
    const file = path.join(copy, 'session.json');
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    record.phases = record.phases.filter((p: { name: string }) => p.name !== 'evaluate' && p.name !== 'export');
    record.status = 'failed';
    record.attempts.at(-1).status = 'failed';
    fs.writeFileSync(file, JSON.stringify(record));
    fs.rmSync(path.join(copy, 'evaluation.json'));
    fs.rmSync(path.join(copy, 'export'), { recursive: true });
    const r = await runCli(['resume', copy]);
    expect(r.code, explain(r, 'resume')).toBe(0);
    expect(r.stdout).toMatch(/phase check: done before/);
    expect(r.stdout).toMatch(/phase train: done before/);
    expect(r.stdout).toMatch(/loaded the trained weights of .*run-copy.*checkpoint-5/);
    // the same evaluation as the original folder's: the copy's own checkpoints were read
    expect(JSON.parse(fs.readFileSync(path.join(copy, 'evaluation.json'), 'utf8'))).toEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'evaluation.json'), 'utf8')));
    expect(fs.existsSync(path.join(copy, 'export', 'bundle.json'))).toBe(true);
    const session = SessionManager.open(copy);
    expect(session.status).toBe('completed');
    expect(session.phases.map((p) => p.name)).toEqual(['prepare-data', 'build-model', 'check', 'train', 'evaluate', 'export']);
  }, 120_000);

  it('validate --dry-run checks a config and prints it resolved', async () => {
    const r = await runCli(['validate', '--config', config, '--dry-run', '--set', 'trainer.maxSteps=9']);
    expect(r.code, explain(r, 'validate --dry-run')).toBe(0);
    expect(r.stdout).toMatch(/maxSteps: 9/);
  }, 60_000);
});

describe('bad configs exit with 1, naming file and line, without a stack trace', () => {
  const cases: [string, string, string[], RegExp][] = [
    ['misspelt key', CONFIG.replace('maxSteps: 6', 'maxStep: 6'), [], /bad\.yaml:\d+.*maxStep/s],
    ['wrong type', CONFIG.replace('batchSize: 8', 'batchSize: eight'), [], /bad\.yaml:8.*batchSize/s],
    // (config.load knows the line of a YAML syntax error only from the parser's position: lib/config's part)
    ['YAML syntax', `${CONFIG}trainer: [oops\n`, [], /bad\.yaml.*(unique|indented)/s],
    ['bad override', CONFIG, ['--set', 'trainer.maxStepz=3'], /maxStepz.*maxSteps/s],
    ['missing file', '', [], /nosuch\.yaml.*no such file/s],
  ];
  it.each(cases)('%s', async (_what, text, extra, message) => {
    const file = path.join(work, text ? 'bad.yaml' : 'nosuch.yaml');
    if (text) fs.writeFileSync(file, text);
    const r = await runCli(['fit', '--config', file, '--run-dir', path.join(work, `bad-${Math.random()}`), ...extra]);
    expect(r.code, explain(r, 'fit of a bad config')).toBe(1);
    expect(r.stderr).toMatch(/^torchtrain: error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
  }, 60_000);

  it('--verbose adds the stack trace', async () => {
    const file = path.join(work, 'bad-verbose.yaml');
    fs.writeFileSync(file, CONFIG.replace('maxSteps: 6', 'maxStep: 6'));
    const r = await runCli(['--verbose', 'fit', '--config', file, '--run-dir', path.join(work, 'bad-verbose')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at .*\.(ts|js):\d+/);
  }, 60_000);
});
