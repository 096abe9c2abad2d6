// The console router on a real express server (port 0): index.html for
// /admin and every page path under a strict CSP, and the bundle from
// dist/admin only while it is newer than the sources, else built in memory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import express from 'express';
import type { Server } from 'node:http';
import { createConsoleRouter } from '../../../../src/admin/console/consoleRouter.ts';

let tmp: string;
const servers: Server[] = [];

before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'facegate-console-'));
});
after(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

async function serve(outDir: string): Promise<string> {
  const app = express();
  app.use('/admin', createConsoleRouter({ outDir }));
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('GET /admin/* answers index.html with a CSP that allows no inline script, style or eval', async () => {
  const url = await serve(path.join(tmp, 'none'));
  for (const p of ['/admin', '/admin/clients', '/admin/sessions/ses_1']) {
    const res = await fetch(url + p);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<div id="app">/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe/);
  }
});

test('createConsoleRouter() builds the bundle in memory when dist/admin is missing', async () => {
  const url = await serve(path.join(tmp, 'missing'));
  const js = await fetch(`${url}/admin/app.js`);
  assert.equal(js.status, 200);
  const text = await js.text();
  assert.ok(text.length > 10_000);
  assert.doesNotMatch(text, /\beval\(|new Function\(/);
  assert.match((await fetch(`${url}/admin/app.css`)).headers.get('content-type') ?? '', /text\/css/);
});

test('createConsoleRouter() serves a fresh prebuilt bundle and rebuilds a stale one', async () => {
  const fresh = path.join(tmp, 'fresh');
  const stale = path.join(tmp, 'stale');
  for (const dir of [fresh, stale]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'app.js'), '/* prebuilt */');
    writeFileSync(path.join(dir, 'app.css'), '/* prebuilt */');
  }
  const old = new Date('2000-01-01T00:00:00Z');
  for (const f of ['app.js', 'app.css']) utimesSync(path.join(stale, f), old, old);
  assert.equal(await (await fetch(`${await serve(fresh)}/admin/app.js`)).text(), '/* prebuilt */');
  const rebuilt = await (await fetch(`${await serve(stale)}/admin/app.js`)).text();
  assert.notEqual(rebuilt, '/* prebuilt */');
  assert.ok(rebuilt.length > 10_000);
});
