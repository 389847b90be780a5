// SessionManager: the record of a run folder's sessions in <run-dir>/session.json. A session is
// one run of the pipeline (`torchtrain fit`), continued by `torchtrain resume` as new attempts of
// the same session: which phases are done (with timestamps), who is running it (pid, command
// line) and how each attempt ended. Every write goes to a temporary file renamed over the record,
// so a kill -9 leaves either the old or the new record, never half of one.
//
// A record that says 'running' while its pid is gone was left by a process that died without
// saying so (kill -9, the OOM killer, a power cut): reading it reports 'crashed'.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../core/validation.js';
import { writeFileAtomic } from '../io/file-io.js';

export const SESSION_FILE = 'session.json';
export const SESSION_FORMAT = 'torchtrain-session';
export const SESSION_VERSION = 1;

/** The pipeline's phases, in order (pipeline.ts runs them). */
export const PHASES = ['prepare-data', 'build-model', 'check', 'train', 'evaluate', 'export'] as const;
export type PhaseName = typeof PHASES[number];

/** What a record on disk may say; 'crashed' is only ever derived when reading. */
const storedStatus = z.enum(['running', 'completed', 'failed', 'interrupted']);
export type SessionStatus = z.infer<typeof storedStatus> | 'crashed';

const phaseRecord = z.object({
  name: z.enum(PHASES),
  startedAt: z.string(),
  completedAt: z.string(),
  /** A few facts the phase wants kept (steps trained, metrics, where the export went). */
  summary: z.record(z.string(), z.unknown()).optional(),
}).strict();

const attemptRecord = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** The command line that started the attempt (argv without node and the script). */
  command: z.array(z.string()),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  status: storedStatus,
  error: z.string().optional(),
  exitCode: z.number().int().optional(),
}).strict();

const sessionSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.literal(SESSION_VERSION),
  id: z.string().min(1),
  name: z.string(),
  createdAt: z.string(),
  status: storedStatus,
  pid: z.number().int(),
  host: z.string(),
  command: z.array(z.string()),
  currentPhase: z.enum(PHASES).nullable(),
  phases: z.array(phaseRecord),
  attempts: z.array(attemptRecord).min(1),
  error: z.string().optional(),
}).strict();

export type SessionRecord = z.infer<typeof sessionSchema>;
export type PhaseRecord = z.infer<typeof phaseRecord>;

export class SessionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SessionError';
  }
}

const now = () => new Date().toISOString();

/** Whether a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A record's status as seen now: 'running' with a dead pid (on this host) is 'crashed'. */
export function effectiveStatus(record: Pick<SessionRecord, 'status' | 'pid' | 'host'>): SessionStatus {
  if (record.status !== 'running') return record.status;
  if (record.host !== os.hostname()) return 'running'; // another machine's pid means nothing here
  return isProcessAlive(record.pid) ? 'running' : 'crashed';
}

/** One session: its record in memory and on disk, changed only through these methods. */
export class Session {
  private constructor(readonly runDir: string, private record: SessionRecord) {}

  static create(runDir: string, options: { name: string; command: string[] }): Session {
    const started = now();
    const record: SessionRecord = {
      format: SESSION_FORMAT, version: SESSION_VERSION,
      id: `${started.replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`,
      name: options.name, createdAt: started, status: 'running', pid: process.pid, host: os.hostname(),
      command: options.command, currentPhase: null, phases: [],
      attempts: [{ pid: process.pid, host: os.hostname(), command: options.command, startedAt: started, status: 'running' }],
    };
    const session = new Session(runDir, record);
    session.save();
    return session;
  }

  static read(runDir: string): Session {
    const file = path.join(runDir, SESSION_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new SessionError(code === 'ENOENT'
        ? `${runDir} is not a run folder: it has no ${SESSION_FILE} (a run folder is made by \`torchtrain fit\`; pass the folder fit printed)`
        : `cannot read ${file}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SessionError(`${file} is not valid JSON (${(err as Error).message}); it was damaged outside torchtrain (its writes are atomic): restore it or start a new run`);
    }
    const record = parseOrThrow(sessionSchema, json, (issues) => new SessionError(`${file} is not a session record this torchtrain reads:\n  ${issues.map((i) => i.text).join('\n  ')}`),
      { root: '(session)' });
    return new Session(runDir, record);
  }

  get id(): string { return this.record.id; }
  get name(): string { return this.record.name; }
  /** The status as seen now ('crashed' for a running record whose process is gone). */
  get status(): SessionStatus { return effectiveStatus(this.record); }
  get phases(): readonly PhaseRecord[] { return this.record.phases; }
  get attempts(): SessionRecord['attempts'] { return this.record.attempts; }
  /** A copy of the record as stored. */
  toJSON(): SessionRecord { return structuredClone(this.record); }

  isDone(phase: PhaseName): boolean {
    return this.record.phases.some((p) => p.name === phase);
  }

  phase(phase: PhaseName): PhaseRecord | undefined {
    return this.record.phases.find((p) => p.name === phase);
  }

  /** The last phase done in pipeline order, or null. */
  lastCompletedPhase(): PhaseName | null {
    const done = PHASES.filter((p) => this.isDone(p));
    return done.at(-1) ?? null;
  }

  /**
   * Takes the session over for a new attempt (`torchtrain resume`): refused while another live
   * process runs it; a completed session is refused too (nothing to continue).
   */
  beginAttempt(command: string[]): void {
    const status = this.status;
    if (status === 'running' && this.record.pid !== process.pid) {
      throw new SessionError(`session ${this.id} in ${this.runDir} is still running (pid ${this.record.pid} on ${this.record.host}); stop it first (kill -TERM ${this.record.pid} saves a checkpoint and exits), then resume`);
    }
    if (status === 'completed') throw new SessionError(`session ${this.id} in ${this.runDir} is already completed; there is nothing to resume (start a new run with \`torchtrain fit\`)`);
    const last = this.record.attempts.at(-1)!;
    if (last.status === 'running') Object.assign(last, { status: 'failed', endedAt: now(), error: 'the process died without recording how (crashed: kill -9, out of memory, power loss)' });
    this.record.attempts.push({ pid: process.pid, host: os.hostname(), command, startedAt: now(), status: 'running' });
    Object.assign(this.record, { status: 'running', pid: process.pid, host: os.hostname(), command, error: undefined });
    this.save();
  }

  phaseStarted(phase: PhaseName): void {
    this.record.currentPhase = phase;
    this.save();
  }

  /** Records a phase as done (again: a phase redone on resume replaces its record). */
  phaseDone(phase: PhaseName, startedAt: string, summary?: Record<string, unknown>): void {
    this.record.phases = this.record.phases.filter((p) => p.name !== phase);
    this.record.phases.push({ name: phase, startedAt, completedAt: now(), ...(summary ? { summary } : {}) });
    this.record.phases.sort((a, b) => PHASES.indexOf(a.name) - PHASES.indexOf(b.name));
    this.record.currentPhase = null;
    this.save();
  }

  /** Ends this attempt: completed, failed (with the error's message) or interrupted (by a signal). */
  finish(status: 'completed' | 'failed' | 'interrupted', details: { error?: string; exitCode?: number } = {}): void {
    const last = this.record.attempts.at(-1)!;
    Object.assign(last, { status, endedAt: now(), ...details });
    this.record.status = status;
    this.record.error = details.error;
    if (status === 'completed') this.record.currentPhase = null;
    this.save();
  }

  private save(): void {
    const record = JSON.parse(JSON.stringify(this.record)) as SessionRecord; // drops undefined fields
    const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8');
    writeFileAtomic(path.join(this.runDir, SESSION_FILE), (sink) => sink.write(bytes), 'session.save');
  }
}

/** Sessions of run folders: create one for a new run, open one to resume or inspect it. */
export class SessionManager {
  /** A new session in `runDir` (made if missing); refused when the folder already has one. */
  static create(runDir: string, options: { name: string; command: string[] }): Session {
    fs.mkdirSync(runDir, { recursive: true });
    if (fs.existsSync(path.join(runDir, SESSION_FILE))) {
      throw new SessionError(`${runDir} already holds a session (${SESSION_FILE}); resume it with \`torchtrain resume ${runDir}\`, or pass another --run-dir`);
    }
    return Session.create(runDir, options);
  }

  static open(runDir: string): Session {
    return Session.read(runDir);
  }
}
