// config.load: YAML and JSON files, line numbers in errors, ${ENV}, typed overrides, versions
// (older migrated with a note, newer refused), relative paths, and toYaml read back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { config } from '../../lib/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'torchtrain-config-'));
let count = 0;
function file(text: string, ext = 'yaml'): string {
  const p = path.join(dir, `run${count++}.${ext}`);
  writeFileSync(p, text);
  return p;
}

const GOOD = `version: 2
name: tiny
model:
  zoo: gpt
  config: { nLayer: 1, nHead: 2, nEmbd: 16 }
task:
  type: causal_lm
data:
  tokenizer: char
  train: { text: data/train.txt, blockSize: 16 }
trainer:
  maxSteps: 3
  optimizer:
    lr: 0.003
`;

function failure(run: () => unknown): config.RunConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(config.RunConfigError);
    return error as config.RunConfigError;
  }
  throw new Error('expected a RunConfigError');
}

describe('config.load', () => {
  it('reads YAML, resolving input paths against the file\'s folder', () => {
    const p = file(GOOD);
    const run = config.load(p);
    expect(run.name).toBe('tiny');
    expect(run.trainer.optimizer.lr).toBe(0.003);
    expect(run.data.train).toEqual({ text: path.join(dir, 'data/train.txt'), blockSize: 16 });
  });

  it('reads JSON the same way', () => {
    const json = JSON.stringify({ version: 2, model: { zoo: 'lenet' }, task: { type: 'image_classification', numClasses: 10 }, data: { train: { idx: { images: 'x.idx', labels: 'y.idx' } } }, trainer: { maxEpochs: 1 } }, null, 2);
    const run = config.load(file(json, 'json'));
    expect(run.data.train).toEqual({ idx: { images: path.join(dir, 'x.idx'), labels: path.join(dir, 'y.idx') } });
  });

  it('names the file and line of a wrong type, with field, expected, given and fix', () => {
    const error = failure(() => config.load(file(GOOD.replace('lr: 0.003', 'lr: fast'))));
    const issue = error.issues[0]!;
    expect(issue).toMatchObject({ field: 'trainer.optimizer.lr', line: 14, given: '"fast"' });
    expect(issue.text).toMatch(/run\d+\.yaml:14: trainer\.optimizer\.lr: .*expected number.*given "fast"; fix: give trainer\.optimizer\.lr a value of type number/);
  });

  it('suggests the nearest known key for an unknown one, at its line', () => {
    const error = failure(() => config.load(file(GOOD.replace('  maxSteps: 3', '  maxSteps: 3\n  gradientAcumulationSteps: 2'))));
    expect(error.issues[0]!.text).toMatch(/:13: trainer\.gradientAcumulationSteps: unknown key; did you mean 'gradientAccumulationSteps'\?.*fix: rename gradientAcumulationSteps to gradientAccumulationSteps/);
  });

  it('reports YAML syntax errors with their line, and duplicate keys', () => {
    expect(failure(() => config.load(file('version: 2\nmodel: { zoo: gpt\ntask: x\n'))).message).toMatch(/run\d+\.yaml:\d+: /);
    const dup = failure(() => config.load(file(`${GOOD}name: again\n`)));
    expect(dup.message).toMatch(/:15: .*unique/i);
  });

  it('refuses a missing file and a file that is not a mapping', () => {
    expect(failure(() => config.load(path.join(dir, 'nope.yaml'))).message).toMatch(/nope\.yaml.*no such file; fix: check the path/);
    expect(failure(() => config.load(file('- a\n- b\n'))).message).toMatch(/expected a mapping of keys .*given a list/);
  });

  describe('${ENV} interpolation', () => {
    const withEnv = GOOD.replace('lr: 0.003', 'lr: ${LR:-3e-4}').replace('name: tiny', 'name: ${RUN_NAME}-x');
    it('substitutes variables and defaults, keeping a lone reference\'s type', () => {
      const run = config.load(file(withEnv), { env: { RUN_NAME: 'exp1' } });
      expect(run.name).toBe('exp1-x');
      expect(run.trainer.optimizer.lr).toBe(3e-4);
      expect(config.load(file(withEnv), { env: { RUN_NAME: 'exp1', LR: '0.01' } }).trainer.optimizer.lr).toBe(0.01);
      expect(config.load(file(GOOD.replace('name: tiny', 'name: a$${b}'.replace('$${b}', 'b'))), { env: {} }).name).toBe('ab');
    });

    it('refuses a missing variable without default, naming it, the file and the line', () => {
      const error = failure(() => config.load(file(withEnv), { env: {} }));
      expect(error.message).toMatch(/run\d+\.yaml:2: \$\{RUN_NAME\}: the environment variable RUN_NAME is not set; fix: set RUN_NAME .* or give a default: \$\{RUN_NAME:-value\}/);
    });
  });

  describe('overrides', () => {
    it('types values by YAML and the schema: numbers, booleans, lists, strings', () => {
      const run = config.load(file(GOOD), { overrides: ['trainer.optimizer.lr=1e-3', 'data.shuffle=false', 'trainer.optimizer.betas=[0.9, 0.95]', 'name=007', 'trainer.maxSteps=5', 'loggers.0.type=jsonl'] });
      expect(run.trainer.optimizer.lr).toBe(1e-3);
      expect(run.data.shuffle).toBe(false);
      expect(run.trainer.optimizer.betas).toEqual([0.9, 0.95]);
      expect(run.name).toBe('007');
      expect(run.trainer.maxSteps).toBe(5);
      expect(run.loggers).toEqual([{ type: 'jsonl' }]);
    });

    it('refuses an unknown path with the nearest key and the override rewritten', () => {
      const error = failure(() => config.load(file(GOOD), { overrides: ['trainer.optimiser.lr=1e-3'] }));
      expect(error.message).toMatch(/override 'trainer\.optimiser\.lr=1e-3'.*\n.*unknown key 'optimiser'; did you mean 'optimizer' \(trainer\.optimizer\.lr\)\?.*fix: write trainer\.optimizer\.lr=1e-3/);
    });

    it('refuses a bad value by the schema (no line: it came from the command line) and malformed overrides', () => {
      const error = failure(() => config.load(file(GOOD), { overrides: ['trainer.maxSteps=lots'] }));
      expect(error.issues[0]).toMatchObject({ field: 'trainer.maxSteps', line: undefined, given: '"lots"' });
      expect(failure(() => config.load(file(GOOD), { overrides: ['trainer.maxSteps'] })).message).toMatch(/expected key\.path=value.*fix: write it as e\.g\. trainer\.optimizer\.lr=1e-3/);
      expect(failure(() => config.load(file(GOOD), { overrides: ['trainer.optimizer.betas=[0.9,'] })).message).toMatch(/not valid YAML/);
      expect(failure(() => config.load(file(GOOD), { overrides: ['trainer.maxSteps.x=1'] })).message).toMatch(/trainer\.maxSteps: holds 3, not an object/);
    });

    it('can set a model config key the zoo model takes, and refuses one it does not', () => {
      expect(config.load(file(GOOD), { overrides: ['model.config.dropout=0.1'] }).model).toMatchObject({ config: { dropout: 0.1 } });
      expect(failure(() => config.load(file(GOOD), { overrides: ['model.config.dropuot=0.1'] })).message).toMatch(/did you mean 'dropout'/);
    });
  });

  describe('versions', () => {
    it('refuses a newer version, naming the upgrade command', () => {
      const error = failure(() => config.load(file(GOOD.replace('version: 2', 'version: 3'))));
      expect(error.message).toMatch(/:1: version: the file is version 3, newer than this torchtrain reads \(up to version 2\); fix: upgrade torchtrain: npm install torchtrain@latest/);
      expect(failure(() => config.load(file(GOOD.replace('version: 2', 'version: two')))).message).toMatch(/version must be a whole number/);
    });

    it('migrates a version-1 file (training settings at the top level) with a note', () => {
      const v1 = `version: 1
model: { zoo: gpt, config: { nLayer: 1, nHead: 2, nEmbd: 16 } }
task: { type: causal_lm }
data: { tokenizer: char, train: { text: t.txt, blockSize: 8 } }
maxSteps: 4
optimizer: { lr: 0.01 }
`;
      const loaded = config.loadDetailed(file(v1), { warn: false });
      expect(loaded.config.version).toBe(2);
      expect(loaded.config.trainer.maxSteps).toBe(4);
      expect(loaded.config.trainer.optimizer.lr).toBe(0.01);
      expect(loaded.notes).toEqual([expect.stringMatching(/version 1 -> 2: the training settings now live under 'trainer' \(moved maxSteps, optimizer under trainer\)/)]);
      // Without a version, the flat shape is recognised as version 1 too; load() prints the note as a warning.
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on('warning', onWarning);
      try {
        expect(config.load(file(v1.replace('version: 1\n', ''))).trainer.maxSteps).toBe(4);
        return new Promise<void>((done) => setImmediate(() => {
          process.off('warning', onWarning);
          expect(warnings.some((w) => /version 1 -> 2/.test(w))).toBe(true);
          done();
        }));
      } catch (error) {
        process.off('warning', onWarning);
        throw error;
      }
    });

    it('reports the line of a problem in a migrated section from where it stood in the file', () => {
      const v1 = 'version: 1\nmodel: { zoo: lenet }\ntask: { type: image_classification, numClasses: 10 }\ndata: { train: { tensors: t.safetensors } }\nmaxSteps: -1\n';
      expect(failure(() => config.load(file(v1), { warn: false })).issues[0]).toMatchObject({ field: 'trainer.maxSteps', line: 5 });
    });
  });

  it('toYaml writes a file that loads back to the same config', () => {
    const run = config.load(file(GOOD), { overrides: ['trainer.optimizer.betas=[0.9, 0.95]'] });
    const again = config.load(file(config.toYaml(run)));
    expect(again).toEqual(run);
  });
});
