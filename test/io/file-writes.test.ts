// What atomic writes leave behind and how they fail: a writer killed mid-write leaves a
// recognisable temporary file that the next write to the folder removes (never a live writer's,
// never another host's), and a write the system refuses (missing folder, a file where a folder
// should be, no permission, read-only or full file system) is a FileWriteError naming the path
// given, the operation and the fix, not the hidden temporary file.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as io from '../../lib/io/index.js';
import { torch } from '../../lib/core/torch.js';
import { removeStaleTemporaries, temporaryName, writeFileAtomic } from '../../lib/io/file-io.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE_IO = new URL('../../lib/io/file-io.ts', import.meta.url).href;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-file-writes-'));
const TEMP = /\.torchtrain-tmp-[0-9a-f]{8}-\d+-[0-9a-f]{8}$/;

/** A tiny tmpfs (root only): the one honest way to get ENOSPC and EROFS. Undefined when mount is refused. */
function tinyTmpfs(name: string): string | undefined {
  const where = path.join(dir, name);
  fs.mkdirSync(where);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', where], { stdio: 'pipe' });
    return where;
  } catch (e) {
    console.warn(`\n*** SKIPPING the ${name} test: cannot mount a tmpfs here (${String((e as Error).message).split('\n')[0]}); run as root where mount is allowed to cover it ***\n`);
    return undefined;
  }
}
const full = tinyTmpfs('full');
const readOnly = tinyTmpfs('read-only');

afterAll(() => {
  for (const m of [full, readOnly]) if (m) execFileSync('umount', [m]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const temporaries = (folder: string) => fs.readdirSync(folder).filter((f) => TEMP.test(f)).sort();

/** `count` children that each start an atomic write of 8 MiB, say so, and block mid-write; all are killed (-9) together. Resolves with their pids. */
async function killMidWrite(target: string, script: string, count: number): Promise<number[]> {
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['--import', 'tsx', script, target], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => { if (String(d).includes('mid-write')) resolve(); });
    child.on('exit', (code) => reject(new Error(`writer exited (${code}) before the kill: ${err}`)));
  })));
  await Promise.all(children.map((child) => {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    return exited;
  }));
  return children.map((c) => c.pid!);
}

describe('atomic writes killed mid-way', () => {
  it('leave recognisable temporary files, which the next write to the folder removes; the target stays intact', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'kills-'));
    const target = path.join(folder, 'model.safetensors');
    io.saveSafetensors(target, { w: torch.arange(6, { dtype: 'float32' }) });
    const before = fs.readFileSync(target);
    const script = path.join(dir, 'writer.mjs');
    fs.writeFileSync(script, `
      import fs from 'node:fs';
      const { writeFileAtomic } = await import(${JSON.stringify(FILE_IO)});
      writeFileAtomic(process.argv[2], (sink) => {
        const chunk = Buffer.alloc(1 << 20, 7);
        for (let i = 0; i < 8; i++) sink.write(chunk);
        fs.writeSync(1, 'mid-write\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); // killed here
      }, 'test.writer');
    `);
    // Ten writers killed mid-write at once (each started while the others were alive, so none
    // removed another's file): ten temporary files of 8 MiB.
    const dead = await killMidWrite(target, script, 10);
    const left = temporaries(folder);
    expect(left).toHaveLength(10);
    for (const name of left) {
      expect(name.startsWith('model.safetensors.torchtrain-tmp-')).toBe(true);
      expect(fs.statSync(path.join(folder, name)).size).toBe(8 << 20);
    }
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    // An eleventh writer, killed too, removed those ten when it started: only its own is left.
    const [last] = await killMidWrite(target, script, 1);
    expect(temporaries(folder)).toEqual([expect.stringMatching(new RegExp(`-${last}-[0-9a-f]{8}$`))]);
    expect(fs.readFileSync(target).equals(before)).toBe(true);

    // Files the sweep must keep: a live writer's (the test runner's pid), this process's own,
    // another host's (its pid means nothing here), and names that only look similar.
    const mine = temporaryName(target);
    const [, host, , rand] = /-([0-9a-f]{8})-(\d+)-([0-9a-f]{8})$/.exec(mine)!;
    const keep = [
      `model.safetensors.torchtrain-tmp-${host}-${process.ppid}-${rand}`,
      mine,
      `model.safetensors.torchtrain-tmp-${host === '00000000' ? '11111111' : '00000000'}-${dead[0]}-${rand}`,
      'notes.torchtrain-tmp-readme',
    ];
    for (const name of keep) fs.writeFileSync(path.join(folder, name), 'x');

    io.saveSafetensors(target, { fresh: torch.ones(3) });
    expect(fs.readdirSync(folder).sort()).toEqual(['model.safetensors', ...keep].sort());
    expect(Object.keys(io.loadSafetensors(target))).toEqual(['fresh']);
    expect(removeStaleTemporaries(folder)).toEqual([]);
  });

  it('a failed write removes its own temporary file', () => {
    const folder = fs.mkdtempSync(path.join(dir, 'fail-'));
    const file = path.join(folder, 'a.pt');
    expect(() => writeFileAtomic(file, (sink) => {
      sink.write(Buffer.from('half a file'));
      throw new Error('simulated');
    })).toThrow(/simulated/);
    expect(fs.readdirSync(folder)).toEqual([]);
  });
});

describe('failed writes name the path given, the operation and the fix', () => {
  const w = { w: torch.ones(2) };

  function failure(write: () => void): io.FileWriteError {
    try {
      write();
    } catch (e) {
      expect(e).toBeInstanceOf(io.FileWriteError);
      const err = e as io.FileWriteError;
      expect(err.message).not.toMatch(/torchtrain-tmp/);
      expect((err.cause as NodeJS.ErrnoException).code).toBe(err.code);
      return err;
    }
    throw new Error('the write did not fail');
  }

  it('ENOENT: a folder that does not exist', () => {
    const target = path.join(dir, 'no', 'such', 'folder', 'x.safetensors');
    const err = failure(() => io.saveSafetensors(target, w));
    expect(err.code).toBe('ENOENT');
    expect(err.path).toBe(target);
    expect(err.message).toBe(`io.saveSafetensors: cannot write ${target}: the folder ${path.dirname(target)} does not exist (ENOENT); create it first (fs.mkdirSync(folder, { recursive: true })) or fix the path`);
  });

  it('ENOTDIR: a file where a folder should be', () => {
    const file = path.join(dir, 'plain-file');
    fs.writeFileSync(file, 'x');
    const err = failure(() => io.save(path.join(file, 'x.pt'), w));
    expect(err.code).toBe('ENOTDIR');
    expect(err.operation).toBe('io.save');
    expect(err.message).toMatch(/^io\.save: cannot write .*plain-file\/x\.pt: a part of .* is a file, not a folder \(ENOTDIR\)/);
  });

  it('EISDIR: the target is a folder', () => {
    const err = failure(() => io.saveSafetensors(dir, w));
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(err.code);
    expect(err.message).toMatch(new RegExp(`^io\\.saveSafetensors: cannot write ${dir}: `));
  });

  it('EACCES/EROFS: a folder no one may write (sysfs refuses even root)', () => {
    const err = failure(() => io.saveSafetensors('/sys/x.safetensors', w));
    expect(['EACCES', 'EPERM', 'EROFS']).toContain(err.code);
    expect(err.message).toMatch(/^io\.saveSafetensors: cannot write \/sys\/x\.safetensors: (permission denied in the folder \/sys|the folder \/sys is on a read-only file system)/);
  });

  it.skipIf(!readOnly)('EROFS: a read-only file system; the old file survives', () => {
    const target = path.join(readOnly!, 'x.safetensors');
    io.saveSafetensors(target, w);
    execFileSync('mount', ['-o', 'remount,ro', readOnly!]);
    const err = failure(() => io.saveSafetensors(target, { other: torch.zeros(1) }));
    expect(err.code).toBe('EROFS');
    expect(err.message).toBe(`io.saveSafetensors: cannot write ${target}: the folder ${readOnly} is on a read-only file system (EROFS); write elsewhere`);
    expect(Object.keys(io.loadSafetensors(target))).toEqual(['w']);
  });

  it.skipIf(!full)('ENOSPC: a full disk; the old file survives and no temporary file is left', () => {
    const target = path.join(full!, 'x.pt');
    io.save(target, w);
    const err = failure(() => io.save(target, { big: torch.zeros([64 * 1024]) }));
    expect(err.code).toBe('ENOSPC');
    expect(err.message).toMatch(new RegExp(`^io\\.save: cannot write ${target}: the disk holding ${full} is full \\(ENOSPC\\); free space or write elsewhere`));
    expect(fs.readdirSync(full!)).toEqual(['x.pt']);
    expect(Object.keys(io.load(target))).toEqual(['w']);
  });

  it('errors that are not the system\'s pass through unchanged', () => {
    expect(() => writeFileAtomic(path.join(dir, 'y.pt'), () => { throw new RangeError('bad tensor'); })).toThrow(RangeError);
  });
});
