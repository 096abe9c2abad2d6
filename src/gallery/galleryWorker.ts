// The process's one gallery worker thread: it owns every FAISS index, so adds,
// removes, searches and snapshot writes never block the main event loop.
// There is exactly one because faiss-node keeps its class constructors in
// process-wide statics: a second faiss context (another worker, or the main
// thread after a worker) makes IndexFlatIP.fromBuffer abort the process.
// Each FaissGallery is a namespace here; requests are handled in order.
// Graph builds (ClientIndex.step) run in BUILD_STEP_MS slices queued behind
// setImmediate, so requests that arrive meanwhile are answered between slices;
// an IVF build in child processes is polled every POLL_MS.
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { ClientIndex, type ClientIndexOptions } from './ClientIndex.ts';
import type { GalleryEnvelope, GalleryReply, GalleryRequest } from './galleryProtocol.ts';
import { BUILD_STEP_MS } from './hnswPolicy.ts';

interface Space {
  readonly dir: string;
  readonly dim: number;
  readonly options: ClientIndexOptions;
  readonly clients: Map<string, ClientIndex>;
  /** Snapshot keys per client, handed over with add/replace/load. */
  readonly keys: Map<string, Uint8Array>;
}

const spaces = new Map<number, Space>();
// Client ids become file names: allow only our own id alphabet.
const SAFE = /^[A-Za-z0-9_-]{1,64}$/;

function index(sp: Space, clientId: string): ClientIndex {
  if (!SAFE.test(clientId)) throw new Error('invalid client id');
  let c = sp.clients.get(clientId);
  if (!c) {
    c = ClientIndex.empty(sp.dim, sp.options);
    sp.clients.set(clientId, c);
  }
  return c;
}

function persist(sp: Space): number {
  let n = 0;
  for (const [id, c] of sp.clients) {
    const key = sp.keys.get(id);
    if (!c.dirty || !key) continue;
    c.save(sp.dir, id, key);
    n++;
  }
  return n;
}

/** Drops a client's index here (a replaced, dropped or closed one): a build in child processes is stopped. */
function forget(sp: Space, clientId: string): void {
  sp.clients.get(clientId)?.cancelBuild();
  sp.clients.delete(clientId);
}

let pumping = false;

/** One build slice for one client (round robin over namespaces and clients), then yield. */
function pump(): void {
  pumping = false;
  for (const sp of spaces.values()) {
    for (const [id, c] of sp.clients) {
      if (!c.building) continue;
      try {
        if (c.step(BUILD_STEP_MS)) {
          // The new graph serves now: persist it rather than rebuild it after a restart.
          const key = sp.keys.get(id);
          if (key) c.save(sp.dir, id, key);
        }
      } catch {
        // The serving index is untouched by a failed build; the next change plans a new one.
        c.cancelBuild();
      }
      // Move it to the back so other clients' builds get their turn.
      sp.clients.delete(id);
      sp.clients.set(id, c);
      schedulePump();
      return;
    }
  }
}

/** How often a build that runs in child processes is polled when no build here has work. */
const POLL_MS = 25;

function schedulePump(): void {
  if (pumping) return;
  let waiting = false;
  for (const sp of spaces.values()) {
    for (const c of sp.clients.values()) {
      if (c.building && !c.waiting) {
        pumping = true;
        setImmediate(pump);
        return;
      }
      waiting ||= c.building;
    }
  }
  if (waiting) {
    pumping = true;
    setTimeout(pump, POLL_MS);
  }
}

function handle(ns: number, req: GalleryRequest): unknown {
  if (req.op === 'open') {
    const options: ClientIndexOptions = {
      ...(req.hnswMin === undefined ? {} : { hnswMin: req.hnswMin }),
      ...(req.largeIndex === undefined ? {} : { largeIndex: req.largeIndex }),
    };
    spaces.set(ns, { dir: req.dir, dim: req.dim, options, clients: new Map(), keys: new Map() });
    return null;
  }
  const sp = spaces.get(ns);
  if (!sp) throw new Error('gallery namespace is not open');
  switch (req.op) {
    case 'add':
      sp.keys.set(req.clientId, req.key);
      index(sp, req.clientId).add(req.ids, req.vectors);
      return null;
    case 'remove':
      return sp.clients.get(req.clientId)?.remove(req.ids) ?? 0;
    case 'search':
      return sp.clients.get(req.clientId)?.search(req.query, req.k) ?? [];
    case 'size':
      return sp.clients.get(req.clientId)?.size ?? 0;
    case 'ids':
      return [...(sp.clients.get(req.clientId)?.ids() ?? [])];
    case 'stats':
      return sp.clients.get(req.clientId)?.stats() ?? null;
    case 'drop':
      forget(sp, req.clientId);
      sp.keys.delete(req.clientId);
      if (SAFE.test(req.clientId)) ClientIndex.deleteSnapshot(sp.dir, req.clientId);
      return null;
    case 'load': {
      if (!SAFE.test(req.clientId)) throw new Error('invalid client id');
      sp.keys.set(req.clientId, req.key);
      const loaded = ClientIndex.load(sp.dir, req.clientId, sp.dim, req.key, sp.options);
      if (!loaded) return null;
      forget(sp, req.clientId);
      sp.clients.set(req.clientId, loaded);
      return [...loaded.ids()];
    }
    case 'replace': {
      if (!SAFE.test(req.clientId)) throw new Error('invalid client id');
      const c = ClientIndex.empty(sp.dim, sp.options);
      c.add(req.ids, req.vectors);
      c.dirty = true;
      sp.keys.set(req.clientId, req.key);
      forget(sp, req.clientId);
      sp.clients.set(req.clientId, c);
      return null;
    }
    case 'persist':
      return persist(sp);
    case 'prune': {
      const keep = new Set(req.keep);
      let n = 0;
      if (!fs.existsSync(sp.dir)) return 0;
      for (const f of fs.readdirSync(sp.dir)) {
        const m = /^(.+)\.gallery$/.exec(f);
        if (m && !keep.has(m[1]!)) {
          ClientIndex.deleteSnapshot(sp.dir, m[1]!);
          n++;
        }
      }
      return n;
    }
    case 'close': {
      const n = persist(sp);
      for (const id of [...sp.clients.keys()]) forget(sp, id);
      spaces.delete(ns);
      return n;
    }
  }
}

parentPort!.on('message', (m: GalleryEnvelope) => {
  let reply: GalleryReply;
  try {
    reply = { seq: m.seq, ok: true, result: handle(m.ns, m.req) };
  } catch (e) {
    reply = { seq: m.seq, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
  schedulePump();
});
