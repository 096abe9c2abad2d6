// Service secrets (JWT signing secret, master key). In production they come
// from config (JWT_SECRET, MASTER_KEY). When unset, a single node generates
// them once and keeps them in <dataDir>/secrets.json (mode 0600) so restarts
// keep tokens and templates readable; the caller logs that it happened.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from './config.ts';

export interface ServiceSecrets {
  readonly jwtSecret: string;
  readonly masterKeyHex: string;
  /** Which secrets were generated or read from the data dir rather than config. */
  readonly fromDataDir: readonly ('JWT_SECRET' | 'MASTER_KEY')[];
  readonly file: string;
}

const FileSchema = z.object({
  jwtSecret: z.string().min(32),
  masterKeyHex: z.string().regex(/^[0-9a-fA-F]{64}$/),
});

export function resolveSecrets(config: Config): ServiceSecrets {
  const file = path.join(config.storage.dataDir, 'secrets.json');
  const { jwtSecret, masterKeyHex } = config.security;
  if (jwtSecret !== undefined && masterKeyHex !== undefined) {
    return { jwtSecret, masterKeyHex, fromDataDir: [], file };
  }
  let stored: z.infer<typeof FileSchema>;
  if (fs.existsSync(file)) {
    const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is corrupt; set JWT_SECRET and MASTER_KEY or remove the file`);
    stored = parsed.data;
  } else {
    stored = { jwtSecret: crypto.randomBytes(32).toString('hex'), masterKeyHex: crypto.randomBytes(32).toString('hex') };
    fs.mkdirSync(config.storage.dataDir, { recursive: true, mode: 0o700 });
    // wx: never overwrite a file another process wrote meanwhile.
    try {
      fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return resolveSecrets(config);
    }
  }
  const fromDataDir: ('JWT_SECRET' | 'MASTER_KEY')[] = [];
  if (jwtSecret === undefined) fromDataDir.push('JWT_SECRET');
  if (masterKeyHex === undefined) fromDataDir.push('MASTER_KEY');
  return {
    jwtSecret: jwtSecret ?? stored.jwtSecret,
    masterKeyHex: masterKeyHex ?? stored.masterKeyHex,
    fromDataDir,
    file,
  };
}
