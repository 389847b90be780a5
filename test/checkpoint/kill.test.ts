// Checkpoints against kill -9 and signals (issue 11, points 2 and 3), with real processes:
// a child trains with a checkpoint every step and is killed at 30 seeded random moments spread
// over its checkpoint writes (and the rotation after them). After each kill: every checkpoint
// folder is valid (the write is atomic: no half-written folder ever carries a checkpoint's name),
// no checkpoint that was complete before the kill changed or vanished (except by rotation, with
// keepLast newer ones present), `latest` names a valid one, the dead writer's temporary folders
// go at the next save, and a fresh process resumes from the newest valid checkpoint. After the
// last kill the run goes to its end and its weights are bit for bit those of an uninterrupted run.
// saveOnSignal: SIGTERM/SIGINT finish the current step, save it and exit with 143/130.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpoint } from '../../lib/index.js';
import { bundled, Child } from './fixtures/child.js';
import type { ChildOptions } from './fixtures/train-child.js';

const made: string[] = [];
const tmp = () => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'tt-kill-')));
  return made.at(-1)!;
};
const script = await bundled('train-child.ts');
const children: Child[] = [];
afterAll(async () => {
  // a failed test leaves processes started ahead waiting for their GO
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  if (script.endsWith('.mjs')) fs.rmSync(script, { force: true });
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const start = (o: ChildOptions, timeoutMs = 60_000) => {
  children.push(new Child(script, [JSON.stringify(o)], { timeoutMs }));
  return children.at(-1)!;
};
/** The temporary entries (name.torchtrain-tmp-<host>-<pid>-<random>) in a folder, with their writer's pid. */
const temporaries = (dir: string) => fs.readdirSync(dir).flatMap((name) => {
  const m = /\.torchtrain-tmp-[0-9a-f]{8}-(\d+)-[0-9a-f]{8}$/.exec(name);
  return m ? [{ name, pid: Number(m[1]) }] : [];
});

/** mulberry32: which save each kill aims at and where in it repeat on every run (the delays scale with measured save times). */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KILLS = 30;
const KEEP_LAST = 3;
const MAX_STEPS = 90;
/** Processes started ahead of the one being killed. */
const AHEAD = 2;

describe('kill -9 during checkpoint writes', () => {
  it(`${KILLS} kills at random moments: no valid checkpoint damaged, resume from the newest valid one, the same final weights`, async () => {
    const dir = tmp();
    const random = seeded(11);
    const base = { dir, maxSteps: MAX_STEPS, everyNSteps: 1, keepLast: KEEP_LAST, waitForGo: true };
    /** Manifests of checkpoints seen complete (printed SAVED), by step: a kill must not change them. */
    const complete = new Map<number, string>();
    const saveMs: number[] = [150];
    /** Writers whose temporary files may still be there (dead, and no save completed since). */
    let mayHaveTemporaries = new Set<number>();
    let expectedStart = 0;
    let everSaved = false;
    const log: string[] = [];
    const phases: Record<string, number> = {};
    // The next processes load while this one trains (startup is most of a short run's time);
    // the last one trains to the end, with one save there.
    const queue: Child[] = [];
    let spawned = 0;
    const refill = () => {
      while (queue.length < AHEAD && spawned <= KILLS) queue.push(start(spawned++ < KILLS ? base : { ...base, everyNSteps: 1000 }));
    };
    for (let kill = 0; kill < KILLS; kill++) {
      refill();
      const child = queue.shift()!;
      await child.waitFor(/^READY$/);
      mayHaveTemporaries.add(child.pid);
      const killAtSave = 1 + Math.floor(random() * 2);
      const estimate = [...saveMs].sort((a, b) => a - b)[saveMs.length >> 1];
      const delay = Math.round(random() * estimate * 1.15);
      let saves = 0;
      let killedAt = '';
      let killedStep = -1;
      const onLine = (line: string) => {
        let m = /^SAVE (\d+)$/.exec(line);
        if (m && ++saves === killAtSave) {
          killedAt = `kill ${kill}: pid ${child.pid}, save of step ${m[1]} + ${delay} ms (estimate ${estimate.toFixed(0)} ms)`;
          killedStep = Number(m[1]);
          setTimeout(() => child.kill('SIGKILL'), delay);
        }
        m = /^SAVED (\d+) ([\d.]+)$/.exec(line);
        if (m) {
          everSaved = true;
          saveMs.push(Number(m[2]));
          mayHaveTemporaries = new Set([child.pid]);
          try {
            complete.set(Number(m[1]), fs.readFileSync(path.join(dir, `checkpoint-${m[1]}`, 'manifest.json'), 'utf8'));
          } catch {
            // rotated away already (the parent fell behind): nothing to compare later
          }
        }
      };
      child.onLine(onLine);
      child.send('GO');
      const started = await child.waitFor(/^START (\d+)$/);
      expect(Number(started[1]), `kill ${kill - 1} left checkpoint-${expectedStart} as the newest valid one, but the resume started at step ${started[1]}\n${log.join('\n')}\n${child.explain()}`).toBe(expectedStart);
      const exit = await child.exited;
      expect(exit.signal, `the child was to be killed (${killedAt || 'no kill yet'}) but ended otherwise\n${child.explain()}`).toBe('SIGKILL');
      log.push(`${killedAt}; ${child.lines.filter((l) => /^SAVE/.test(l)).join(', ')}`);
      const context = `${killedAt}\n${child.explain()}`;

      // Every folder named like a checkpoint is a complete one.
      const found = checkpoint.list(dir);
      for (const c of found) expect(c.valid, `${c.path}: ${c.problem}\n${context}`).toBe(true);
      // No checkpoint seen complete before the kill was damaged; one may be gone only by rotation.
      for (const [step, manifest] of complete) {
        const folder = path.join(dir, `checkpoint-${step}`);
        if (fs.existsSync(folder)) {
          expect(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8'), `checkpoint-${step} changed\n${context}`).toBe(manifest);
        } else {
          const newer = found.filter((c) => c.valid && c.step > step).length;
          expect(newer, `checkpoint-${step} vanished with only ${newer} newer valid checkpoints (keepLast ${KEEP_LAST})\n${context}`).toBeGreaterThanOrEqual(KEEP_LAST);
          complete.delete(step);
        }
      }
      // `latest` names a valid checkpoint (none only before the first complete save).
      const latest = checkpoint.readLatest(dir);
      if (latest === null) expect(everSaved, `no latest pointer after a complete save\n${context}`).toBe(false);
      else expect(found.find((c) => c.path === latest)?.valid, `latest names ${latest}, not a valid checkpoint\n${context}`).toBe(true);
      // Temporary folders: only of writers dead since the last completed save (the next save removes them).
      for (const t of temporaries(dir)) expect(mayHaveTemporaries.has(t.pid), `${t.name} of a dead writer survived a later save\n${context}`).toBe(true);
      expectedStart = found.filter((c) => c.valid).at(-1)?.step ?? 0;
      // Where in the save the kill landed: before its folder was renamed into place, before `latest` named it, or later.
      const phase = !found.some((c) => c.step === killedStep) ? 'writing' : latest !== path.join(dir, `checkpoint-${killedStep}`) ? 'renamed' : 'after latest';
      phases[phase] = (phases[phase] ?? 0) + 1;
    }
    console.log(`kill -9 moments: ${JSON.stringify(phases)}; save times (ms) ${[...saveMs].sort((a, b) => a - b).map((v) => v.toFixed(0)).join(' ')}`);
    // Many kills land inside a write, before its rename (about 60% here: the delays scale with the
    // measured save time); far fewer would mean the test no longer hits the writes.
    expect(phases.writing ?? 0, `kills during writes: ${JSON.stringify(phases)}`).toBeGreaterThanOrEqual(KILLS / 4);

    // The last process resumes and trains to the end (one save, at the end); an uninterrupted run beside it.
    refill();
    const last = queue.shift()!;
    await last.waitFor(/^READY$/);
    const reference = start({ ...base, dir: tmp(), everyNSteps: 1000, resume: false, waitForGo: false });
    last.send('GO');
    const [resumed, done, ref] = await Promise.all([last.waitFor(/^START (\d+)$/), last.waitFor(/^DONE (\d+) (\w+)$/), reference.waitFor(/^DONE (\d+) (\w+)$/)]);
    expect(Number(resumed[1]), last.explain()).toBe(expectedStart);
    expect((await last.exited).code, last.explain()).toBe(0);
    expect((await reference.exited).code, reference.explain()).toBe(0);
    expect(Number(done[1])).toBe(MAX_STEPS);
    expect(done[2], `the killed and resumed run's final weights differ from the uninterrupted run's\n${log.join('\n')}`).toBe(ref[2]);
    expect(temporaries(dir), 'temporary files left after the run ended').toEqual([]);
    const found = checkpoint.list(dir);
    expect(found.every((c) => c.valid)).toBe(true);
    expect(checkpoint.readLatest(dir)).toBe(path.join(dir, `checkpoint-${MAX_STEPS}`));
  }, 300_000);

  it('killed while rotation removes an old checkpoint: no half-deleted folder under a checkpoint name; the next save clears it', async () => {
    const dir = tmp();
    const dying = start({ dir, maxSteps: 10, everyNSteps: 1, keepLast: 2, dieInRemoval: true, hidden: 64 });
    expect((await dying.exited).signal, dying.explain()).toBe('SIGKILL');
    const removing = (await dying.waitFor(/^REMOVING (\S+)$/))[1];
    // the folder being removed is checkpoint-1 (or, renamed out of the way first, a temporary one)
    expect(removing, dying.explain()).toMatch(/^checkpoint-1(\.torchtrain-tmp-.*)?$/);
    const found = checkpoint.list(dir);
    for (const c of found) expect(c.valid, `${c.path}: ${c.problem} (a checkpoint damaged by a kill during rotation)`).toBe(true);
    expect(found.map((c) => c.step)).toEqual([2, 3]);
    expect(temporaries(dir).map((t) => t.pid)).toEqual([dying.pid]);
    const next = start({ dir, maxSteps: 4, everyNSteps: 1, keepLast: 2, hidden: 64 });
    expect((await next.waitFor(/^START (\d+)$/))[1]).toBe('3');
    expect((await next.exited).code, next.explain()).toBe(0);
    expect(temporaries(dir)).toEqual([]);
    expect(checkpoint.list(dir).map((c) => [c.step, c.valid])).toEqual([[3, true], [4, true]]);
  }, 60_000);
});

describe('saveOnSignal', () => {
  const small = { maxSteps: 12, everyNSteps: 1000, gradientAccumulationSteps: 2, hidden: 64, printBatches: true, batchPauseMs: 25 };
  /** Starts a run and sends `signal` while it waits at the end of the first micro-batch of a window at step >= 3 (mid-step). */
  function signalled(o: Omit<ChildOptions, 'maxSteps' | 'everyNSteps'>, signal: NodeJS.Signals) {
    const child = start({ ...small, ...o });
    let at = -1;
    child.onLine((line) => {
      const m = /^BATCH (\d+) 1$/.exec(line);
      if (m && at < 0 && Number(m[1]) >= 3) {
        at = Number(m[1]);
        child.kill(signal);
      }
    });
    return { child, signalledAt: () => at };
  }
  const stateOf = (folder: string) => JSON.parse(fs.readFileSync(path.join(folder, 'trainer_state.json'), 'utf8')).state;

  it('SIGTERM mid-step: the step is finished and saved, exit code 143; the resume goes on at the next step, as if never stopped', async () => {
    const dir = tmp();
    const run = signalled({ dir }, 'SIGTERM');
    const reference = start({ ...small, dir: tmp(), printBatches: false, batchPauseMs: 0, resume: false });
    const exit = await run.child.exited;
    expect(exit, run.child.explain()).toEqual({ code: 143, signal: null });
    const stoppedAt = run.signalledAt() + 1; // the window open when the signal came, completed
    expect(run.signalledAt()).toBeGreaterThanOrEqual(3);
    expect(Number((await run.child.waitFor(/^DONE (\d+)/))[1]), run.child.explain()).toBe(stoppedAt);
    const found = checkpoint.list(dir);
    expect(found.map((c) => [c.step, c.valid]), run.child.explain()).toEqual([[stoppedAt, true]]);
    expect(stateOf(found[0].path)).toMatchObject({ step: stoppedAt, windowMicroBatches: 0, batchInEpoch: (2 * stoppedAt) % 8 });
    expect(checkpoint.readLatest(dir)).toBe(found[0].path);

    const resumed = start({ ...small, dir, batchPauseMs: 0 });
    expect(Number((await resumed.waitFor(/^START (\d+)$/))[1]), resumed.explain()).toBe(stoppedAt);
    // its first micro-batch opens the window of step stoppedAt + 1
    expect((await resumed.waitFor(/^BATCH .*$/))[0], resumed.explain()).toBe(`BATCH ${stoppedAt} 1`);
    const [done, ref] = await Promise.all([resumed.waitFor(/^DONE (\d+) (\w+)$/), reference.waitFor(/^DONE (\d+) (\w+)$/)]);
    expect(done[1]).toBe('12');
    expect(done[2], 'weights after a SIGTERM and a resume differ from the uninterrupted run').toBe(ref[2]);
    expect((await resumed.exited).code).toBe(0);
  }, 60_000);

  it('SIGINT: saved, exit code 130; saveOnSignal false: SIGTERM still stops after the step (143) but writes nothing', async () => {
    const [dirA, dirB] = [tmp(), tmp()];
    const a = signalled({ dir: dirA }, 'SIGINT');
    const b = signalled({ dir: dirB, saveOnSignal: false }, 'SIGTERM');
    const [ea, eb] = await Promise.all([a.child.exited, b.child.exited]);
    expect(ea, a.child.explain()).toEqual({ code: 130, signal: null });
    expect(checkpoint.list(dirA).map((c) => [c.step, c.valid])).toEqual([[a.signalledAt() + 1, true]]);
    expect(eb, b.child.explain()).toEqual({ code: 143, signal: null });
    expect(Number((await b.child.waitFor(/^DONE (\d+)/))[1])).toBe(b.signalledAt() + 1);
    expect(fs.readdirSync(dirB), 'saveOnSignal: false wrote something').toEqual([]);
  }, 60_000);
});
