// Worker thread that owns every client's FAISS index, so adds, removes,
// searches and snapshot writes never block the main event loop. Requests
// are handled one at a time, in order.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ClientIndex } from './ClientIndex.ts';
import type { GalleryEnvelope, GalleryReply, GalleryRequest, GalleryWorkerData } from './galleryProtocol.ts';

const { dir, dim } = workerData as GalleryWorkerData;
const clients = new Map<string, ClientIndex>();
/** Snapshot keys per client, handed over with add/replace/load. */
const keys = new Map<string, Uint8Array>();
// Client ids become file names: allow only our own id alphabet.
const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

function index(clientId: string): ClientIndex {
  if (!SAFE.test(clientId)) throw new Error('invalid client id');
  let c = clients.get(clientId);
  if (!c) {
    c = ClientIndex.empty(dim);
    clients.set(clientId, c);
  }
  return c;
}

function handle(req: GalleryRequest): unknown {
  switch (req.op) {
    case 'add':
      keys.set(req.clientId, req.key);
      index(req.clientId).add(req.ids, req.vectors);
      return null;
    case 'remove':
      return clients.get(req.clientId)?.remove(req.ids) ?? 0;
    case 'search':
      return clients.get(req.clientId)?.search(req.query, req.k) ?? [];
    case 'size':
      return clients.get(req.clientId)?.size ?? 0;
    case 'ids':
      return [...(clients.get(req.clientId)?.ids() ?? [])];
    case 'drop':
      clients.delete(req.clientId);
      keys.delete(req.clientId);
      if (SAFE.test(req.clientId)) ClientIndex.deleteSnapshot(dir, req.clientId);
      return null;
    case 'load': {
      if (!SAFE.test(req.clientId)) throw new Error('invalid client id');
      keys.set(req.clientId, req.key);
      const loaded = ClientIndex.load(dir, req.clientId, dim, req.key);
      if (!loaded) return null;
      clients.set(req.clientId, loaded);
      return [...loaded.ids()];
    }
    case 'replace': {
      if (!SAFE.test(req.clientId)) throw new Error('invalid client id');
      const c = ClientIndex.empty(dim);
      c.add(req.ids, req.vectors);
      c.dirty = true;
      keys.set(req.clientId, req.key);
      clients.set(req.clientId, c);
      return null;
    }
    case 'persist': {
      let n = 0;
      for (const [id, c] of clients) {
        const key = keys.get(id);
        if (!c.dirty || !key) continue;
        c.save(dir, id, key);
        n++;
      }
      return n;
    }
    case 'prune': {
      const keep = new Set(req.keep);
      let n = 0;
      if (!fs.existsSync(dir)) return 0;
      for (const f of fs.readdirSync(dir)) {
        const m = /^(.+)\.gallery$/.exec(f);
        if (m && !keep.has(m[1]!)) {
          ClientIndex.deleteSnapshot(dir, m[1]!);
          n++;
        }
      }
      return n;
    }
  }
}

parentPort!.on('message', (m: GalleryEnvelope) => {
  let reply: GalleryReply;
  try {
    reply = { seq: m.seq, ok: true, result: handle(m.req) };
  } catch (e) {
    reply = { seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
