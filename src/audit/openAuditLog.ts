// The audit log as the node and the command lines open it: signed by the
// configured (or data-dir) key, with the head mirrored into the data dir.
// The head file is per database (PGlite, or one PostgreSQL schema), since a
// data dir on PostgreSQL may serve several schemas (tests).
import path from 'node:path';
import type { Config } from '../config.ts';
import type { SqlClient } from '../store/SqlClient.ts';
import { AuditLog } from './AuditLog.ts';
import { AuditSigner } from './AuditSigner.ts';

export function auditHeadFile(config: Config, engine: 'postgres' | 'pglite', schema?: string): string {
  const name = engine === 'pglite' ? 'audit-head.json' : `audit-head.pg-${schema ?? 'public'}.json`;
  return path.join(config.storage.dataDir, name);
}

export function openAuditLog(
  config: Config,
  sql: SqlClient,
  o: { readonly schema?: string; readonly onError?: (e: unknown) => void } = {},
): AuditLog {
  return new AuditLog(sql, {
    signer: AuditSigner.resolve(config.admin.auditSigningKeyHex, config.storage.dataDir),
    headFile: auditHeadFile(config, sql.engine, o.schema),
    ...(o.onError ? { onError: o.onError } : {}),
  });
}
