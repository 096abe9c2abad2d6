// Where the running node can be found: <dataDir>/node.json holds its URL and
// pid, written once it listens and removed when it stops. The admin CLI and
// audit:verify read it to talk to that node instead of opening the store
// (which, embedded, only one process may do).
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const NodeFileSchema = z.object({ url: z.string().url(), pid: z.number().int(), nodeId: z.string(), startedAt: z.string() });
export type NodeFile = z.infer<typeof NodeFileSchema>;

export function nodeFilePath(dataDir: string): string {
  return path.join(dataDir, 'node.json');
}

export function writeNodeFile(dataDir: string, f: NodeFile): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${nodeFilePath(dataDir)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(f), { mode: 0o600 });
  fs.renameSync(tmp, nodeFilePath(dataDir));
}

/** Removes the file if it is still this node's (another node may have started on the same dir since). */
export function removeNodeFile(dataDir: string, nodeId: string): void {
  const f = readNodeFile(dataDir);
  if (f?.nodeId === nodeId) fs.rmSync(nodeFilePath(dataDir), { force: true });
}

export function readNodeFile(dataDir: string): NodeFile | null {
  try {
    const r = NodeFileSchema.safeParse(JSON.parse(fs.readFileSync(nodeFilePath(dataDir), 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The node file, when its process is alive (a SIGKILLed node leaves a stale one). */
export function runningNode(dataDir: string): NodeFile | null {
  const f = readNodeFile(dataDir);
  if (!f) return null;
  try {
    process.kill(f.pid, 0);
    return f;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? f : null;
  }
}

/** The URL a process on this machine reaches a server at (loopback when bound to every address). */
export function loopbackUrl(a: AddressInfo): string {
  if (a.address === '0.0.0.0') return `http://127.0.0.1:${a.port}`;
  if (a.address === '::') return `http://[::1]:${a.port}`;
  return a.family === 'IPv6' ? `http://[${a.address}]:${a.port}` : `http://${a.address}:${a.port}`;
}

/** Writes the node file for a listening node; returns what removes it at stop. */
export function advertiseNode(dataDir: string, address: AddressInfo, nodeId: string): () => Promise<void> {
  writeNodeFile(dataDir, { url: loopbackUrl(address), pid: process.pid, nodeId, startedAt: new Date().toISOString() });
  return async () => removeNodeFile(dataDir, nodeId);
}
