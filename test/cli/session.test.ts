// SessionManager: the session record of a run folder (session.json), its atomic writes, and the
// 'crashed' status of a record whose process is gone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_FILE, SessionError, SessionManager } from '../../lib/cli/session.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-session-'));
  dirs.push(d);
  return d;
};
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

/** A pid that surely is not running: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('SessionManager', () => {
  it('creates a record with an id, pid, command and status running, and records phases in order', () => {
    const dir = tempDir();
    const s = SessionManager.create(dir, { name: 'tiny', command: ['fit', '--config', 'x.yaml'] });
    expect(s.id).toMatch(/^\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(s.status).toBe('running');
    s.phaseStarted('prepare-data');
    s.phaseDone('build-model', '2026-01-01T00:00:01.000Z', { parameters: 10 });
    s.phaseDone('prepare-data', '2026-01-01T00:00:00.000Z');
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, SESSION_FILE), 'utf8'));
    expect(onDisk).toMatchObject({ format: 'torchtrain-session', version: 1, name: 'tiny', status: 'running', pid: process.pid, command: ['fit', '--config', 'x.yaml'] });
    expect(onDisk.phases.map((p: { name: string }) => p.name)).toEqual(['prepare-data', 'build-model']);
    expect(onDisk.phases[1].summary).toEqual({ parameters: 10 });
    expect(typeof onDisk.phases[0].completedAt).toBe('string');
    const again = SessionManager.open(dir);
    expect(again.lastCompletedPhase()).toBe('build-model');
    expect(again.isDone('train')).toBe(false);
    // no temporary files left behind
    expect(fs.readdirSync(dir)).toEqual([SESSION_FILE]);
  });

  it('finish() records completed, failed (with the error) and interrupted', () => {
    for (const status of ['completed', 'failed', 'interrupted'] as const) {
      const dir = tempDir();
      const s = SessionManager.create(dir, { name: 'x', command: [] });
      s.finish(status, status === 'failed' ? { error: 'boom', exitCode: 1 } : {});
      const r = SessionManager.open(dir);
      expect(r.status).toBe(status);
      expect(r.attempts.at(-1)!.status).toBe(status);
      if (status === 'failed') expect(r.toJSON().error).toBe('boom');
    }
  });

  it('a running record whose pid is gone reads as crashed; a new attempt takes it over', () => {
    const dir = tempDir();
    SessionManager.create(dir, { name: 'x', command: ['fit'] }).phaseDone('prepare-data', new Date().toISOString());
    const file = path.join(dir, SESSION_FILE);
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    const pid = deadPid();
    record.pid = pid;
    record.attempts[0].pid = pid;
    fs.writeFileSync(file, JSON.stringify(record));
    const s = SessionManager.open(dir);
    expect(s.status).toBe('crashed');
    s.beginAttempt(['resume', dir]);
    const r = SessionManager.open(dir);
    expect(r.status).toBe('running');
    expect(r.attempts.map((a) => a.status)).toEqual(['failed', 'running']);
    expect(r.attempts[0]!.error).toMatch(/crashed/);
    expect(r.isDone('prepare-data')).toBe(true);
  });

  it('refuses to resume a completed session or one a live process runs', () => {
    const dir = tempDir();
    const s = SessionManager.create(dir, { name: 'x', command: [] });
    s.finish('completed');
    expect(() => SessionManager.open(dir).beginAttempt([])).toThrow(/already completed/);
    const dir2 = tempDir();
    SessionManager.create(dir2, { name: 'x', command: [] });
    const file = path.join(dir2, SESSION_FILE);
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    record.pid = process.ppid; // alive: the test runner's parent
    fs.writeFileSync(file, JSON.stringify(record));
    expect(() => SessionManager.open(dir2).beginAttempt([])).toThrow(/still running \(pid/);
  });

  it('refuses a second session in one folder, a folder without one, and a damaged record', () => {
    const dir = tempDir();
    SessionManager.create(dir, { name: 'x', command: [] });
    expect(() => SessionManager.create(dir, { name: 'x', command: [] })).toThrow(/already holds a session.*torchtrain resume/);
    expect(() => SessionManager.open(tempDir())).toThrow(SessionError);
    expect(() => SessionManager.open(tempDir())).toThrow(/not a run folder/);
    fs.writeFileSync(path.join(dir, SESSION_FILE), '{"format": "torchtrain-session", "version": 1');
    expect(() => SessionManager.open(dir)).toThrow(/not valid JSON/);
    fs.writeFileSync(path.join(dir, SESSION_FILE), JSON.stringify({ format: 'torchtrain-session', version: 1, id: 'x' }));
    expect(() => SessionManager.open(dir)).toThrow(/not a session record.*name/s);
  });
});
