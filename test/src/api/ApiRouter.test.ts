// The route helper registers the express route and its operation together,
// and refuses declarations that would make the two disagree.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express from 'express';
import { z } from 'zod';
import { ApiRouter } from '../../../src/api/ApiRouter.ts';
import { openApiDocument } from '../../../src/api/openapi.ts';

test('ApiRouter.get() serves the route and lists its operation with the prefix it is mounted at', async () => {
  const r = new ApiRouter('/api/things');
  const Thing = z.object({ id: z.string() });
  r.get('/:id', { summary: 'One thing', responses: { 200: Thing } }, (req, res) => {
    res.json({ id: req.params.id });
  });
  assert.deepEqual(r.operations.map((o) => `${o.method} ${o.path}`), ['get /api/things/:id']);
  const app = express();
  app.use('/api/things', r.router);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/things/t1/`);
    assert.equal(res.status, 200, 'trailing slash optional');
    assert.deepEqual(await res.json(), { id: 't1' });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const doc = openApiDocument(r.operations) as { paths: Record<string, { get: { parameters: { name: string; in: string; required: boolean }[] } }> };
  assert.deepEqual(doc.paths['/api/things/{id}']?.get.parameters.map((p) => [p.name, p.in, p.required]), [['id', 'path', true]]);
});

test('ApiRouter refuses a route declared twice, a relative path and a route without handler', () => {
  const r = new ApiRouter();
  const doc = { summary: 'x', responses: { 200: z.object({}) } };
  r.get('/a', doc, (_q, res) => void res.end());
  assert.throws(() => r.get('/a', doc, (_q, res) => void res.end()), /declared twice/);
  assert.throws(() => r.post('b', doc, (_q, res) => void res.end()), TypeError);
  assert.throws(() => r.put('/c', doc), /no handler/);
  assert.equal(r.operations.length, 1);
});
