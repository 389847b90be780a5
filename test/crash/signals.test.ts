// Crash-only: signals while Trainer.fit() waits for data that never comes (a DataLoader worker's
// get(), or the main thread's, never settles). Documented behaviour (issue 10, item 3): the
// first SIGINT/SIGTERM interrupts the wait (the worker pool is torn down), fit() ends promptly,
// and the process exits with 128 + the signal's number (SIGINT 130, SIGTERM 143) so schedulers
// see it was stopped; a second signal exits at once. Swallowing the signal (only SIGKILL ends
// the process) fails here as a time-out.
import { type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type ChildResult, explain, runScenario, scenario } from './child-process.js';

/** Runs the scenario, sends `signals` (the first once the data wait began, the rest `gapMs` apart) and reports when the last went. */
async function signalDuringWait(numWorkers: number, signals: NodeJS.Signals[], { gapMs = 400, stuckEnd = false } = {}): Promise<ChildResult & { afterLastSignalMs: number }> {
  let lastSignalAt = 0;
  let sent = false;
  const send = (child: ChildProcess) => {
    sent = true;
    signals.forEach((s, i) => setTimeout(() => {
      lastSignalAt = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(s);
    }, 300 + i * gapMs));
  };
  const t0 = Date.now();
  const r = await runScenario(scenario('signal-during-data-wait.ts'), {
    args: [String(numWorkers), ...(stuckEnd ? ['stuck-end'] : [])],
    timeoutMs: 20_000,
    onLine: (line, child) => {
      if (line.startsWith('HANG') && !sent) send(child);
    },
  });
  return { ...r, afterLastSignalMs: lastSignalAt ? t0 + r.ms - lastSignalAt : -1 };
}

describe('signals during a data wait', () => {
  it('SIGTERM while a worker get() hangs: fit() ends promptly, exit code 143', async () => {
    const r = await signalDuringWait(1, ['SIGTERM']);
    expect(r.stdout, explain(r, 'the data wait never began')).toMatch(/HANG at sample/);
    expect(r.timedOut, explain(r, 'SIGTERM was swallowed')).toBe(false);
    expect(r.stdout, explain(r, 'fit() did not end')).toMatch(/FIT ENDED/);
    // README (Training): a signal stops fit "after the current step with the remaining hooks called".
    expect(r.stdout, explain(r, 'onFitEnd was not called')).toMatch(/ON FIT END/);
    expect({ code: r.code, signal: r.signal }, explain(r, 'exit status')).toEqual({ code: 143, signal: null });
    expect(r.afterLastSignalMs, 'ms from SIGTERM to exit').toBeLessThan(10_000);
  }, 60_000);

  it('SIGINT while the main thread get() hangs: exit code 130', async () => {
    const r = await signalDuringWait(0, ['SIGINT']);
    expect(r.stdout, explain(r, 'the data wait never began')).toMatch(/HANG at sample/);
    expect(r.timedOut, explain(r, 'SIGINT was swallowed')).toBe(false);
    expect({ code: r.code, signal: r.signal }, explain(r, 'exit status')).toEqual({ code: 130, signal: null });
    expect(r.afterLastSignalMs, 'ms from SIGINT to exit').toBeLessThan(10_000);
  }, 60_000);

  it('a second SIGINT exits at once with 130 (the first one\'s orderly stop stuck in onFitEnd)', async () => {
    for (const numWorkers of [0, 1]) {
      const r = await signalDuringWait(numWorkers, ['SIGINT', 'SIGINT'], { stuckEnd: true });
      expect(r.stdout, explain(r, 'the data wait never began')).toMatch(/HANG at sample/);
      expect(r.timedOut, explain(r, `numWorkers ${numWorkers}: two SIGINTs were swallowed`)).toBe(false);
      // 130 either way: process.exit(130) from the Trainer, or (if the first signal already ended
      // fit() and the Trainer let go of signals) Node's default death by SIGINT.
      expect(r.code === 130 || r.signal === 'SIGINT', explain(r, `numWorkers ${numWorkers}: exit status`)).toBe(true);
      expect(r.afterLastSignalMs, 'ms from the last SIGINT to exit').toBeLessThan(3_000);
    }
  }, 120_000);
});
