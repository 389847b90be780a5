#!/usr/bin/env node
// The `torchtrain` command: parses the command line (commander) and hands each command to its
// function in commands.ts. Exit codes (errors.ts): 0 done, 1 error, 2 bad usage, 128+n stopped
// by signal n after saving a checkpoint.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, UsageError, debugEnabled, describeError } from './errors.js';

/** A command's result becomes the process's exit code (0 leaves one a signal set alone). */
function setExitCode(code: number): void {
  if (code !== 0) process.exitCode = code;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const EXIT_CODES = `
Exit codes:
  0       done
  1       error (the message says what and how to fix it; the stack with --verbose or TORCHTRAIN_DEBUG=1)
  2       bad usage (unknown command or option, missing argument)
  128+n   stopped by signal n after saving a checkpoint (130 Ctrl-C, 143 SIGTERM):
          continue with \`torchtrain resume <run-dir>\``;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

export function buildProgram(): Command {
  const program = new Command('torchtrain')
    .description('Train, resume, evaluate, predict with and export torchtrain models from a config file.')
    .option('-v, --verbose', 'show stack traces of errors (also TORCHTRAIN_DEBUG=1)')
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText('after', `${examples(
      'torchtrain fit --config examples/configs/image-classification.yaml',
      'torchtrain fit --config run.yaml --set trainer.maxSteps=100 --set trainer.optimizer.lr=1e-3',
      'torchtrain resume runs/lenet-20261130-082431',
      'torchtrain predict runs/lenet-20261130-082431 --input samples.jsonl --out predictions.jsonl',
      'torchtrain export runs/lenet-20261130-082431 --out bundles/lenet',
    )}\n${EXIT_CODES}`);

  program.command('fit')
    .description('Train from a config file into a new run folder (runs/<name>-<timestamp>/ by default): data, model, checks, training, evaluation, export bundle.')
    .requiredOption('-c, --config <file>', 'the run config (YAML or JSON)')
    .option('-s, --set <key=value>', 'override one config value, typed by the schema (repeatable)', collect, [])
    .option('-d, --run-dir <dir>', 'the run folder (default: runs/<name>-<timestamp>)')
    .option('-n, --name <name>', 'the run name (default: the config\'s name)')
    .option('--no-export', 'skip the export phase (no export/ bundle in the run folder)')
    .addHelpText('after', `${examples(
      'torchtrain fit --config examples/configs/causal-lm.yaml',
      'torchtrain fit -c run.yaml --set trainer.maxSteps=3 --run-dir /tmp/smoke',
    )}\n\nThe run folder holds config.yaml (resolved), session.json, checkpoints/, logs/, dashboard.html,\nevaluation.json and export/. A killed run continues with \`torchtrain resume <run-dir>\`.`)
    .action(async (o: { config: string; set: string[]; runDir?: string; name?: string; export: boolean }) => {
      const { fit } = await import('./commands.js');
      setExitCode(await fit({ config: o.config, overrides: o.set, runDir: o.runDir, name: o.name, skipExport: !o.export }));
    });

  program.command('resume')
    .description('Continue a stopped or crashed run from its last completed phase and, inside training, from its newest valid checkpoint.')
    .argument('<run-dir>', 'the run folder that `torchtrain fit` made')
    .addHelpText('after', examples('torchtrain resume runs/gpt-20261130-082431'))
    .action(async (runDir: string) => {
      const { resume } = await import('./commands.js');
      setExitCode(await resume({ runDir }));
    });

  program.command('validate')
    .description('Run the validation loop: on a run folder\'s newest checkpoint, or on a config\'s freshly built model. --dry-run only checks the config.')
    .argument('[run-dir]', 'a run folder (its config.yaml and newest checkpoint)')
    .option('-c, --config <file>', 'a run config instead of a run folder')
    .option('-s, --set <key=value>', 'override one config value (repeatable)', collect, [])
    .option('--dry-run', 'only load and check the config (and print it resolved)')
    .addHelpText('after', examples(
      'torchtrain validate runs/bert-20261130-082431',
      'torchtrain validate --config run.yaml --dry-run',
    ))
    .action(async (runDir: string | undefined, o: { config?: string; set: string[]; dryRun?: boolean }) => {
      if ((runDir === undefined) === (o.config === undefined)) throw new UsageError('validate takes a run folder or --config <file> (one of them)');
      const { validate } = await import('./commands.js');
      setExitCode(await validate({ runDir, config: o.config, overrides: o.set, dryRun: o.dryRun ?? false }));
    });

  program.command('predict')
    .description('Run a run folder\'s trained model over a JSONL file of samples and write one JSON line of outputs per sample.')
    .argument('<run-dir>', 'the run folder (its config.yaml and newest checkpoint)')
    .requiredOption('-i, --input <jsonl>', 'samples, one JSON object per line, with the fields the task reads')
    .requiredOption('-o, --out <jsonl>', 'where the predictions go')
    .addOption(new Option('-b, --batch-size <n>', 'samples per batch').default(32).argParser(positiveInt))
    .addHelpText('after', `${examples('torchtrain predict runs/spam-20261130-082431 --input emails.jsonl --out predictions.jsonl')}

Each output line: { "index": n, "id"?: ..., "prediction"?: class, "probabilities"?: [...], "logits"?: [...] }`)
    .action(async (runDir: string, o: { input: string; out: string; batchSize: number }) => {
      const { predict } = await import('./commands.js');
      setExitCode(await predict({ runDir, input: o.input, out: o.out, batchSize: o.batchSize }));
    });

  program.command('export')
    .description('Write an export bundle (weights, model description, task, tokenizer, metrics, model card) of a run folder\'s newest checkpoint.')
    .argument('<run-dir>', 'the run folder')
    .requiredOption('-o, --out <dir>', 'the bundle folder to write')
    .addHelpText('after', examples('torchtrain export runs/lenet-20261130-082431 --out bundles/lenet'))
    .action(async (runDir: string, o: { out: string }) => {
      const { exportRun } = await import('./commands.js');
      setExitCode(await exportRun({ runDir, out: o.out }));
    });

  program.command('info')
    .description('Which libtorch is in use, how it was found, CUDA, threads.')
    .addHelpText('after', examples('torchtrain info'))
    .action(async () => {
      const { runInfo } = await import('./commands-tools.js');
      setExitCode(await runInfo());
    });

  program.command('doctor')
    .description('Check the installation (Node, libtorch, the addon, CUDA) and say how to fix what is wrong; exit 1 when something is.')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', examples('torchtrain doctor', 'torchtrain doctor --json'))
    .action(async (o: { json?: boolean }) => {
      const { runDoctorCommand } = await import('./commands-tools.js');
      setExitCode(await runDoctorCommand({ json: o.json ?? false }));
    });

  program.command('bench')
    .description('Benchmark named workloads against PyTorch on the same libtorch (and nanoGPT) in interleaved rounds: a table, JSON and an HTML report.')
    .argument('[workloads...]', 'workload names (default: the default set; --list names them all)')
    .option('-r, --rounds <n>', 'interleaved rounds per workload', positiveInt, 5)
    .option('-t, --threads <n>', 'intra-op threads on every side (default: torchtrain\'s current count)', positiveInt)
    .option('--steps <n>', 'steps timed per round (default: each workload\'s own)', positiveInt)
    .option('-o, --out <dir>', 'where bench.json, bench.md and bench.html go', 'bench-results')
    .option('-c, --config <file>', 'a run config for the config workload')
    .addOption(new Option('--device <device>', 'where the models run').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .option('--json', 'print the report as JSON instead of the table')
    .option('--list', 'list the workloads and exit')
    .addHelpText('after', examples('torchtrain bench', 'torchtrain bench gpt-mini memory --rounds 9 --threads 1', 'torchtrain bench nanogpt', 'torchtrain bench config --config run.yaml', 'torchtrain bench --list'))
    .action(async (workloads: string[], o: { rounds: number; threads?: number; steps?: number; out: string; config?: string; device: 'auto' | 'cpu' | 'cuda'; json?: boolean; list?: boolean }) => {
      const { runBenchCommand } = await import('./commands-bench.js');
      setExitCode(await runBenchCommand({ workloads, ...o, json: o.json ?? false, list: o.list ?? false }));
    });

  program.command('launch')
    .description('Run a script on many processes under torchrun.')
    .argument('[flags-and-script...]', 'torchrun flags, then the script and its arguments')
    .helpOption(false) // --help after the script belongs to the script; launch.ts answers one before it
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(async (_args: string[], _o: unknown, cmd: Command) => {
      // The raw arguments after `launch` (commander keeps them, untyped): commander's own parsing
      // would take a -v meant for the script; cmd.args is the fallback.
      const raw = (cmd.parent as unknown as { rawArgs?: unknown }).rawArgs;
      const at = Array.isArray(raw) ? raw.indexOf('launch', 2) : -1;
      const { launch } = await import('./launch.js');
      setExitCode(await launch(at >= 0 ? (raw as string[]).slice(at + 1) : cmd.args));
    });

  return program;
}

/** Runs the command line; resolves to the exit code (never throws). */
export async function main(argv: string[] = process.argv): Promise<number> {
  const debug = debugEnabled(argv.slice(2));
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command may leave an exit code (the Trainer sets 128+n when a signal stopped it).
    return typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with code 0; every other commander error is bad usage (it
      // printed its own message already).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`torchtrain: error: ${err.message}\n(see torchtrain --help)\n`);
      return EXIT.usage;
    }
    process.stderr.write(`torchtrain: error: ${describeError(err, debug)}\n`);
    return typeof process.exitCode === 'number' && process.exitCode > 128 ? process.exitCode : EXIT.error;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return fs.realpathSync(script) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number.');
  return n;
}

if (isEntryPoint()) {
  // Exits explicitly: background writers and worker pools must not keep a finished run alive.
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`torchtrain: internal error: ${describeError(err, true)}\n`);
    process.exit(EXIT.error);
  });
}
