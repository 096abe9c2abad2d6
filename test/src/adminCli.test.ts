// README's operator flow, as an operator runs it (issue 12 "Done when"): a
// real `npm start`-like node (src/main.ts) on port 0 with a temp data dir,
// the admin CLI as child processes in "another terminal". create-client
// --json prints exactly {client_id, api_key}; the key is exchanged for a
// token; revoke-key; within 1 s the key and its tokens are refused. Embedded
// (PGlite: the CLI goes through the node's admin API, the node owns the data
// dir) and PostgreSQL with two nodes (revoked on one, refused on the other).
// Then 100+ CLI creates/revokes interleaved with API traffic lose nothing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { readNodeFile } from '../../src/admin/nodeFile.ts';
import { DataDirLockedError } from '../../src/store/DataDirLock.ts';
import { PgliteSqlClient } from '../../src/store/PgliteSqlClient.ts';
import { NODE_BASE_ENV, NODE_SECRETS, ROOT, startNodeProcess, type NodeProc } from '../support/nodeProcess.ts';
import { PG_URL, SKIP_PG, runId, tempDir } from './fixtures.ts';

const SECRETS = NODE_SECRETS;
const BASE_ENV = NODE_BASE_ENV;

const started: NodeProc[] = [];
after(async () => {
  for (const n of started.splice(0)) await n.stop();
});

async function startNode(env: Record<string, string>): Promise<NodeProc> {
  const node = await startNodeProcess(env);
  started.push(node);
  return node;
}

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(script: 'admin' | 'audit-verify', args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/cli/${script}.ts`, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...BASE_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-lived `admin batch` process: one command line in, one JSON result line out. */
function batchCli(env: Record<string, string>): { run(line: string): Promise<Record<string, unknown>>; end(): Promise<number | null> } {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'scripts/cli/admin.ts', 'batch'], {
    cwd: ROOT,
    env: { ...process.env, ...BASE_ENV, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting: ((l: string) => void)[] = [];
  readline.createInterface({ input: child.stdout }).on('line', (l) => waiting.shift()?.(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    run: (line) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`batch CLI gave no answer to ${line}: ${stderr}`)), 60_000);
        waiting.push((l) => {
          clearTimeout(t);
          resolve(JSON.parse(l) as Record<string, unknown>);
        });
        child.stdin.write(`${line}\n`);
      }),
    end: () => {
      child.stdin.end();
      return exited;
    },
  };
}

async function exchange(url: string, apiKey: string): Promise<{ status: number; token: string | null }> {
  const r = await fetch(`${url}/api/auth/client`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: apiKey }) });
  const body = (await r.json()) as { access_token?: string };
  return { status: r.status, token: body.access_token ?? null };
}

async function usersStatus(url: string, token: string): Promise<number> {
  const r = await fetch(`${url}/api/users`, { headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

const keyIdOf = (apiKey: string): string => apiKey.split('_')[1]!;

/** Polls until fn() is true; returns the elapsed ms, or fails after limitMs. */
async function within(limitMs: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < 1000; i++) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`not within ${limitMs} ms`);
}

async function revocationFlow(cliEnv: Record<string, string>, issueAt: string, refuseAt: string): Promise<void> {
  const created = await cli('admin', ['create-client', 'kiosk', '--json'], cliEnv);
  assert.equal(created.code, 0, created.stderr);
  const out = JSON.parse(created.stdout) as Record<string, string>;
  assert.deepEqual(Object.keys(out), ['client_id', 'api_key']);
  const ex = await exchange(issueAt, out.api_key!);
  assert.equal(ex.status, 200);
  assert.equal(await usersStatus(refuseAt, ex.token!), 200);

  const revoked = await cli('admin', ['revoke-key', out.client_id!, keyIdOf(out.api_key!)], cliEnv);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /revoked/);
  const ms = await within(1000, async () => (await usersStatus(refuseAt, ex.token!)) === 401 && (await exchange(refuseAt, out.api_key!)).status === 401);
  assert.ok(ms <= 1000);
  // And it stays refused (no cache brings it back).
  assert.equal(await usersStatus(issueAt, ex.token!), 401);
  assert.equal((await exchange(issueAt, out.api_key!)).status, 401);
}

describe('operator flow on embedded defaults (PGlite, one node)', () => {
  const dir = tempDir();
  const env = { FACEGATE_DATA_DIR: dir };
  let node: NodeProc;

  test('npm start owns the data dir: node.json names it, a second opener gets DataDirLockedError with its pid', async () => {
    node = await startNode(env);
    const nf = readNodeFile(dir);
    assert.equal(nf?.pid, node.pid);
    assert.equal(nf?.url, node.url);
    assert.equal(fs.statSync(path.join(dir, 'admin-token')).mode & 0o777, 0o600);
    await assert.rejects(PgliteSqlClient.open(path.join(dir, 'db')), (e: unknown) => e instanceof DataDirLockedError && e.details?.pid === node.pid);
  });

  test('create-client --json, exchange, revoke-key from the CLI: key and token refused within 1 s', async () => {
    await revocationFlow(env, node.url, node.url);
  });

  test('the admin API refuses requests without the admin token', async () => {
    const r = await fetch(`${node.url}/api/admin/clients`);
    assert.equal(r.status, 401);
    const body = (await r.json()) as Record<string, unknown>;
    assert.equal(body.error, 'unauthorized');
  });

  test('100+ CLI creates, key adds and revokes interleaved with API traffic lose nothing; audit:verify passes', async () => {
    const t0 = Date.now();
    const workers = 4;
    const perWorker = 9;
    const traffic = { running: true, ok: 0, refused: 0, errors: [] as string[] };
    const live: { url: string; key: string; revokedKey: string | null }[] = [];
    // API traffic: exchanges and reads for every key the CLI has handed out so far.
    const trafficLoop = (async () => {
      for (let i = 0; i < 100_000 && traffic.running; i++) {
        const c = live[i % Math.max(1, live.length)];
        if (!c) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const ex = await exchange(node.url, c.key);
        if (ex.status !== 200) traffic.errors.push(`live key refused: ${ex.status}`);
        else if ((await usersStatus(node.url, ex.token!)) !== 200) traffic.errors.push('token refused');
        else traffic.ok++;
        if (c.revokedKey) {
          if ((await exchange(node.url, c.revokedKey)).status === 401) traffic.refused++;
          else traffic.errors.push('revoked key accepted');
        }
      }
    })();
    const names = new Set<string>();
    let ops = 0;
    const one = async (w: number): Promise<void> => {
      const b = batchCli(env);
      for (let j = 0; j < perWorker; j++) {
        const name = `w${w}-c${j}`;
        names.add(name);
        const c = await b.run(`create-client ${name}`);
        assert.equal(c.ok, true, JSON.stringify(c));
        const first = (c.result as { client_id: string; api_key: string });
        const k = await b.run(`add-key ${first.client_id}`);
        assert.equal(k.ok, true, JSON.stringify(k));
        const second = (k.result as { api_key: string }).api_key;
        const entry = { url: node.url, key: second, revokedKey: null as string | null };
        live.push(entry);
        const r = await b.run(`revoke-key ${first.client_id} ${keyIdOf(first.api_key)}`);
        assert.equal(r.ok, true, JSON.stringify(r));
        entry.revokedKey = first.api_key;
        ops += 3;
      }
      assert.equal(await b.end(), 0);
    };
    // Single-shot invocations too, a few at a time, beside the batch workers.
    const singles = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        const rs = await Promise.all([0, 1].map((j) => cli('admin', ['create-client', `single-${i}-${j}`, '--json'], env)));
        for (const [j, r] of rs.entries()) {
          assert.equal(r.code, 0, r.stderr);
          names.add(`single-${i}-${j}`);
          ops++;
        }
      }
    };
    await Promise.all([...Array.from({ length: workers }, (_, w) => one(w)), singles()]);
    traffic.running = false;
    await trafficLoop;
    assert.ok(ops >= 100, `ops ${ops}`);
    assert.deepEqual(traffic.errors, []);
    assert.ok(traffic.ok > 0);

    const list = await cli('admin', ['list-clients', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const listed = new Set((JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name));
    for (const n of names) assert.ok(listed.has(n), `client ${n} lost`);
    for (const c of live) {
      assert.equal((await exchange(node.url, c.key)).status, 200);
      assert.equal((await exchange(node.url, c.revokedKey!)).status, 401);
    }
    const v = await cli('audit-verify', ['--json'], env);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const verdict = JSON.parse(v.stdout) as { ok: boolean; rows: number; signedRows: number };
    assert.equal(verdict.ok, true);
    assert.equal(verdict.signedRows, verdict.rows);
    // Every CLI change is in the audit log: 1 + names.size clients created, 1 + 36 keys revoked (first test's flow included).
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const count = async (event: string): Promise<number> => {
      const r = await fetch(`${node.url}/api/admin/audit?event=${event}&limit=500`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { entries: unknown[] }).entries.length;
    };
    assert.equal(await count('client.created'), names.size + 1);
    assert.equal(await count('api_key.revoked'), workers * perWorker + 1);
    process.stdout.write(`# concurrency: ${ops} CLI operations, ${traffic.ok} API rounds, ${traffic.refused} revoked-key refusals in ${Date.now() - t0} ms\n`);
  });

  test('stopping the node removes node.json; the CLI then opens the store itself and finds everything', async () => {
    await node.stop();
    assert.equal(readNodeFile(dir), null);
    const list = await cli('admin', ['list-clients', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as unknown[]).length >= 45);
    const v = await cli('audit-verify', [], env);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /audit chain OK/);
  });
});

describe('operator flow on PostgreSQL (two nodes)', { skip: SKIP_PG }, () => {
  const schema = runId();
  const url = (): string => `${PG_URL}${PG_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  after(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  test('revoke-key through node A: node B refuses the key and its tokens within 1 s', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const dirA = tempDir();
    const dirB = tempDir();
    const common = { ...SECRETS, DATABASE_URL: url() };
    const a = await startNode({ ...common, FACEGATE_DATA_DIR: dirA });
    const b = await startNode({ ...common, FACEGATE_DATA_DIR: dirB });
    // The CLI finds node A through A's data dir; the token comes from and is refused at B.
    await revocationFlow({ ...common, FACEGATE_DATA_DIR: dirA }, b.url, b.url);
    // Both nodes appended to one chain, signed with the shared key: it verifies.
    const v = await cli('audit-verify', ['--json'], { ...common, FACEGATE_DATA_DIR: dirB });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    await a.stop();
    await b.stop();
  });
});
