// The admin credential and who may use it. The token comes from ADMIN_TOKEN
// or is generated once into <dataDir>/admin-token (mode 0600), where the admin
// CLI on the same machine reads it. /api/admin answers loopback peers only
// unless ADMIN_ALLOW_REMOTE=on (then put it behind TLS). The token is compared
// in constant time over SHA-256 digests (equal lengths).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { FacegateError } from '../../common/errors.ts';
import type { Config } from '../config.ts';

export interface AdminCredential {
  readonly token: string;
  readonly source: 'ADMIN_TOKEN' | 'data_dir';
  readonly file: string;
}

export function adminTokenFile(config: Config): string {
  return path.join(config.storage.dataDir, 'admin-token');
}

/** ADMIN_TOKEN, else the data dir's token (generated when `generate` and missing), else null. */
export function resolveAdminToken(config: Config, o: { readonly generate: boolean }): AdminCredential | null {
  const file = adminTokenFile(config);
  if (config.admin.token !== undefined) return { token: config.admin.token, source: 'ADMIN_TOKEN', file };
  if (!fs.existsSync(file)) {
    if (!o.generate) return null;
    fs.mkdirSync(config.storage.dataDir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, `fga_${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 32) throw new Error(`${file} is corrupt; set ADMIN_TOKEN or remove the file`);
  return { token, source: 'data_dir', file };
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/** Express middleware guarding /api/admin: loopback (unless allowed) and the bearer admin token. */
export function adminGuard(o: { readonly token: string; readonly allowRemote: boolean }): (req: Request, res: Response, next: NextFunction) => void {
  const want = digest(o.token);
  return (req, _res, next) => {
    if (!o.allowRemote && !isLoopback(req.socket.remoteAddress)) {
      next(new FacegateError('forbidden', 'the admin API answers loopback only (set ADMIN_ALLOW_REMOTE=on to allow other hosts)', { reason: 'admin_remote' }));
      return;
    }
    // Bearer header, or ?token= for EventSource (which cannot set headers).
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    const given = m?.[1] ?? (req.path === '/events' && typeof req.query.token === 'string' ? req.query.token : null);
    if (given === null || !crypto.timingSafeEqual(digest(given), want)) {
      next(new FacegateError('unauthorized', 'missing or wrong admin token', { reason: 'admin_token_invalid' }));
      return;
    }
    next();
  };
}
