// Signed export of the audit log: JSON lines, verifiable offline with only the
// signer's public key (printed by `npm run audit:verify -- --public-key`).
//   {"type":"bundle","version":1,"key_id":..,"public_key":PEM,"checkpoint":{..}|null}
//   {"type":"entry","seq":..,"at":..,"client_id":..,"event":..,"payload":..,"prev_hash":..,"hash":..}   (one per row)
//   {"type":"head","seq":..,"hash":..,"at":..,"key_id":..,"signature":..}   (signed at export, over the last row)
// The public key inside the bundle is a convenience: verification must use a
// key obtained apart from the bundle, or a forger would ship their own.
import crypto from 'node:crypto';
import { z } from 'zod';
import { chainHash, GENESIS, type AuditEntry, type AuditLog, type VerifyFailure } from './AuditLog.ts';
import { verifySigned } from './AuditSigner.ts';

const Point = { seq: z.number().int().min(0), hash: z.string(), at: z.string(), key_id: z.string(), signature: z.string() };
const BundleLine = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('bundle'),
    version: z.literal(1),
    key_id: z.string(),
    public_key: z.string(),
    checkpoint: z.object({ ...Point, rows_pruned: z.number().int() }).nullable(),
  }),
  z.object({
    type: z.literal('entry'),
    seq: z.number().int().min(1),
    at: z.string(),
    client_id: z.string().nullable(),
    event: z.string(),
    payload: z.string(),
    prev_hash: z.string(),
    hash: z.string(),
  }),
  z.object({ type: z.literal('head'), ...Point }),
]);

export type BundleVerifyResult =
  | { readonly ok: true; readonly rows: number; readonly headSeq: number; readonly keyId: string }
  | { readonly ok: false; readonly rows: number; readonly firstBadSeq: number; readonly reason: VerifyFailure | 'bundle_invalid' };

/** The bundle's lines, each ending in a newline. */
export async function* exportBundle(audit: AuditLog): AsyncGenerator<string> {
  const signer = audit.signer;
  if (!signer) throw new TypeError('exporting a signed bundle needs a signing key');
  const cp = await audit.checkpoint();
  const checkpoint = cp ? { seq: cp.seq, hash: cp.hash, at: cp.at, key_id: cp.keyId, signature: cp.signature, rows_pruned: cp.rowsPruned } : null;
  yield `${JSON.stringify({ type: 'bundle', version: 1, key_id: signer.keyId, public_key: signer.publicKeyPem, checkpoint })}\n`;
  let last: { seq: number; hash: string } = { seq: cp?.seq ?? 0, hash: cp?.hash ?? GENESIS };
  for await (const e of audit.entries()) {
    yield `${JSON.stringify({ type: 'entry', seq: e.seq, at: e.at, client_id: e.clientId, event: e.event, payload: e.payload, prev_hash: e.prevHash, hash: e.hash })}\n`;
    last = e;
  }
  const point = { seq: last.seq, hash: last.hash, at: new Date().toISOString() };
  yield `${JSON.stringify({ type: 'head', ...point, key_id: signer.keyId, signature: signer.sign('head', point) })}\n`;
}

/** Verifies a bundle's text against a trusted public key (PEM). */
export function verifyBundle(text: string, publicKeyPem: string): BundleVerifyResult {
  const key = crypto.createPublicKey(publicKeyPem);
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const bad = (rows: number, firstBadSeq: number, reason: VerifyFailure | 'bundle_invalid'): BundleVerifyResult => ({ ok: false, rows, firstBadSeq, reason });
  const parsed = [];
  for (const l of lines) {
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch {
      return bad(0, 0, 'bundle_invalid');
    }
    const r = BundleLine.safeParse(raw);
    if (!r.success) return bad(0, 0, 'bundle_invalid');
    parsed.push(r.data);
  }
  const first = parsed[0];
  const head = parsed[parsed.length - 1];
  if (first?.type !== 'bundle' || head?.type !== 'head' || parsed.length < 2) return bad(0, 0, 'bundle_invalid');
  const cp = first.checkpoint;
  if (cp && !verifySigned(key, 'checkpoint', cp, cp.signature)) return bad(0, cp.seq, 'checkpoint_invalid');
  let prevHash = cp?.hash ?? GENESIS;
  let expectSeq = (cp?.seq ?? 0) + 1;
  let rows = 0;
  for (const l of parsed.slice(1, -1)) {
    if (l.type !== 'entry') return bad(rows, expectSeq, 'bundle_invalid');
    const e: AuditEntry = { seq: l.seq, at: l.at, clientId: l.client_id, event: l.event, payload: l.payload, prevHash: l.prev_hash, hash: l.hash };
    if (e.seq !== expectSeq) return bad(rows, expectSeq, 'gap');
    if (e.prevHash !== prevHash) return bad(rows, e.seq, 'broken_link');
    if (chainHash(e) !== e.hash) return bad(rows, e.seq, 'hash_mismatch');
    prevHash = e.hash;
    expectSeq++;
    rows++;
  }
  if (!verifySigned(key, 'head', head, head.signature)) return bad(rows, head.seq, 'signature_invalid');
  if (head.seq > expectSeq - 1) return bad(rows, expectSeq, 'truncated');
  if (head.seq !== expectSeq - 1 || head.hash !== prevHash) return bad(rows, head.seq, 'head_mismatch');
  return { ok: true, rows, headSeq: head.seq, keyId: head.key_id };
}
