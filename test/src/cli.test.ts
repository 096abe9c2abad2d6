// The service's command lines as users run them: `admin`, `audit:verify`
// and `start` (src/main.ts), each a real child process on a temp data dir.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { tempDir } from './fixtures.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function runScript(script: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '', MASTER_KEY: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('admin and audit:verify CLIs', () => {
  test('create-client --json prints client_id and api_key; audit:verify passes, then names the first tampered row', async () => {
    const dir = tempDir();
    const env = { FACEGATE_DATA_DIR: dir };
    const c1 = runScript('scripts/cli/admin.ts', ['create-client', 'Kiosk', 'Co', '--json'], env);
    assert.equal(c1.code, 0, c1.stderr);
    const out = JSON.parse(c1.stdout) as { client_id: string; api_key: string };
    assert.match(out.client_id, /^cl_[0-9a-f]{24}$/);
    assert.match(out.api_key, /^fg_/);
    assert.match(c1.stderr, /generated JWT_SECRET and MASTER_KEY/);
    const secrets = fs.statSync(path.join(dir, 'secrets.json'));
    assert.equal(secrets.mode & 0o777, 0o600);
    assert.equal(runScript('scripts/cli/admin.ts', ['create-client', 'Second', '--json'], env).code, 0);
    const list = runScript('scripts/cli/admin.ts', ['list-clients', '--json'], env);
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name), ['Kiosk Co', 'Second']);

    const ok = runScript('scripts/cli/audit-verify.ts', [], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit chain OK: 2 rows/);

    const db = await PgliteSqlClient.open(path.join(dir, 'db'));
    await db.query(`UPDATE audit_log SET payload = '{"name":"Mallory"}' WHERE seq = 2`);
    await db.close();
    const bad = runScript('scripts/cli/audit-verify.ts', ['--json'], env);
    assert.equal(bad.code, 1);
    assert.deepEqual(JSON.parse(bad.stdout), { ok: false, rows: 1, firstBadSeq: 2, reason: 'hash_mismatch' });

    assert.equal(runScript('scripts/cli/admin.ts', ['bogus'], env).code, 2);
  });
});

describe('npm start (src/main.ts)', () => {
  test('logs `listening on http://HOST:PORT` with the real port for PORT=0, serves /health (media workers up) and the demo page, and exits on SIGTERM', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, FACEGATE_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', RTC_PORT: '0', MEDIA_WORKERS: '1', DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '', MASTER_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 120_000);
        const check = () => {
          const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', () => reject(new Error(`exited early:\n${out}`)));
      });
      assert.notEqual(url.endsWith(':0'), true);
      const h = await fetch(`${url}/health`);
      assert.equal(h.status, 200);
      const health = (await h.json()) as { components: Record<string, string> };
      assert.deepEqual(health.components, { database: 'up', redis: 'not_configured', models: 'up', media: 'up' });
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      // HOST is loopback, so the demo route is on by default (FACEGATE_DEMO=auto).
      const demo = await fetch(`${url}/demo/session`, { method: 'POST' });
      assert.equal(demo.status, 200);
      const { token } = (await demo.json()) as { token: string };
      const st = await fetch(`${url}/api/auth/session/${token}/status`);
      assert.equal(((await st.json()) as { kind: string }).kind, 'enrollment');
      assert.match(out, /generated secrets/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(out, /stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
