// One owner of an embedded database directory. PGlite is a single-process
// database: a second process opening the same directory gets an independent
// instance whose writes the first never sees (and that are lost or collide at
// shutdown). The owner holds an exclusive proper-lockfile lock (`<dir>.lock`,
// refreshed every few seconds) and records who it is in `<dir>.owner.json`.
// Recovery after a crash: a lock whose mtime stopped moving is stale after
// `staleMs` (proper-lockfile), and a lock whose recorded owner process is
// gone on this host is taken over at once, so a SIGKILLed node never blocks
// the next start.
import fs from 'node:fs';
import os from 'node:os';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { FacegateError } from '../../common/errors.ts';

export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
  /** What holds it, for the message ("facegate node", "admin CLI"). */
  readonly holder: string;
}

const OwnerSchema = z.object({ pid: z.number().int(), hostname: z.string(), startedAt: z.string(), holder: z.string() });

/** Another live process owns the directory. details: { reason: 'data_dir_locked', pid, holder, dir }. */
export class DataDirLockedError extends FacegateError {
  readonly owner: LockOwner | null;
  constructor(dir: string, owner: LockOwner | null) {
    const who = owner ? `${owner.holder} pid ${owner.pid} on ${owner.hostname} (since ${owner.startedAt})` : 'another process';
    super(
      'conflict',
      `the embedded database ${dir} is in use by ${who}. Only one process may open it: stop that process, ` +
        'or talk to the running node (`npm run admin` does so by itself), or use PostgreSQL (DATABASE_URL) for several processes',
      { reason: 'data_dir_locked', dir, pid: owner?.pid ?? null, holder: owner?.holder ?? null },
    );
    this.name = 'DataDirLockedError';
    this.owner = owner;
  }
}

export interface DataDirLockOptions {
  readonly holder?: string;
  /** A lock not refreshed for this long is stale (default 10 s). */
  readonly staleMs?: number;
  /** How long to keep trying while another live owner holds it (default 0: fail at once). */
  readonly waitMs?: number;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockOwner(dir: string): LockOwner | null {
  try {
    const r = OwnerSchema.safeParse(JSON.parse(fs.readFileSync(`${dir}.owner.json`, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export class DataDirLock {
  readonly dir: string;
  readonly #release: () => Promise<void>;
  #released = false;

  private constructor(dir: string, release: () => Promise<void>) {
    this.dir = dir;
    this.#release = release;
  }

  /** Takes the lock on dir (created if needed) or throws DataDirLockedError. */
  static async acquire(dir: string, o: DataDirLockOptions = {}): Promise<DataDirLock> {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const staleMs = o.staleMs ?? 10_000;
    const deadline = Date.now() + (o.waitMs ?? 0);
    const lockPath = `${dir}.lock`;
    for (let attempt = 0; attempt < 1000; attempt++) {
      try {
        const release = await lockfile.lock(dir, {
          lockfilePath: lockPath,
          stale: staleMs,
          realpath: false,
          // A lock we cannot refresh any more is someone else's now: say so
          // loudly instead of proper-lockfile's uncaught throw.
          onCompromised: (err) => process.emitWarning(`data dir lock ${lockPath} compromised: ${err.message}`),
        });
        const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), holder: o.holder ?? 'facegate' };
        fs.writeFileSync(`${dir}.owner.json`, JSON.stringify(owner), { mode: 0o600 });
        return new DataDirLock(dir, release);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
        const owner = readLockOwner(dir);
        // The owner died without releasing (SIGKILL, power loss): take over now
        // rather than after the stale window.
        if (owner && owner.hostname === os.hostname() && owner.pid !== process.pid && !processAlive(owner.pid)) {
          // The record may be a dead process's while a new owner is between
          // taking the lock and writing its own record: look again shortly.
          await new Promise((r) => setTimeout(r, 200));
          const again = readLockOwner(dir);
          if (again && again.pid === owner.pid && again.startedAt === owner.startedAt) {
            fs.rmSync(lockPath, { recursive: true, force: true });
          }
          continue;
        }
        if (Date.now() >= deadline) throw new DataDirLockedError(dir, owner);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new DataDirLockedError(dir, readLockOwner(dir));
  }

  /** Releases the lock; idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    fs.rmSync(`${this.dir}.owner.json`, { force: true });
    await this.#release().catch(() => {});
  }
}
