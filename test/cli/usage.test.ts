// The command line itself: --help for every command (with examples), exit code 2 for bad usage
// (commander's errors and the CLI's own), launch, errors without stack traces.
import { describe, expect, it } from 'vitest';
import { explain, runCli } from './cli-process.js';

const COMMANDS = ['fit', 'resume', 'validate', 'predict', 'export', 'info', 'doctor', 'bench', 'launch'];

describe('torchtrain --help', () => {
  it('lists every command, the exit codes and examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code, explain(r, '--help')).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(r.stdout).toMatch(/Exit codes:/);
    expect(r.stdout).toMatch(/128\+n/);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/launch.*torchrun/);
  }, 60_000);

  it.each(COMMANDS)('%s --help shows its usage and an example', async (command) => {
    const r = await runCli([command, '--help']);
    expect(r.code, explain(r, `${command} --help`)).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage: torchtrain ${command}`));
    expect(r.stdout).toMatch(new RegExp(`Examples:\\n\\s+\\$ torchtrain ${command}`));
  }, 60_000);
});

describe('bad usage exits with 2', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['fti', '--config', 'x.yaml'], /Did you mean fit\?/],
    [['fit'], /required option '-c, --config <file>' not specified/],
    [['fit', '--config', 'x.yaml', '--bogus'], /unknown option '--bogus'/],
    [['resume'], /missing required argument 'run-dir'/],
    [['predict', 'runs/x', '--input', 'a.jsonl'], /required option '-o, --out <jsonl>'/],
    [['predict', 'runs/x', '--input', 'a.jsonl', '--out', 'b.jsonl', '--batch-size', 'zero'], /expected a positive whole number/],
    [['validate'], /validate takes a run folder or --config/],
    [['bench', 'nosuch'], /unknown workload 'nosuch'/],
    [['launch', '--nproc-per-node', '2'], /launch: no training script given/],
    [[], /Usage: torchtrain/],
  ])('torchtrain %j', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code, explain(r, `torchtrain ${(args as string[]).join(' ')}`)).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.(ts|js):\d+/); // no stack trace
  }, 60_000);
});

describe('installation commands', () => {
  it('info prints the libtorch in use', async () => {
    const r = await runCli(['info']);
    expect(r.code, explain(r, 'info')).toBe(0);
    expect(r.stdout).toMatch(/^libtorch\s+\d+\.\d+/m);
  }, 60_000);

  it('doctor --json prints its findings as JSON and exits 0 (healthy) or 1 (problems)', async () => {
    const r = await runCli(['doctor', '--json']);
    expect([0, 1], explain(r, 'doctor --json')).toContain(r.code);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
  }, 120_000);

  it('bench --list names the workloads', async () => {
    const r = await runCli(['bench', '--list']);
    expect(r.code, explain(r, 'bench --list')).toBe(0);
    for (const b of ['mlp', 'gpt-mini', 'checkpoint', 'nanogpt']) expect(r.stdout).toMatch(new RegExp(`^${b}\\s+`, 'm'));
  }, 60_000);
});
