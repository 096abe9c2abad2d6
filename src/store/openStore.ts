// Chooses the store from config: PostgreSQL when DATABASE_URL is set,
// otherwise the embedded PGlite database under <dataDir>/db.
import path from 'node:path';
import type { Config } from '../config.ts';
import { PgSqlClient } from './PgSqlClient.ts';
import type { DataDirLockOptions } from './DataDirLock.ts';
import { PgliteSqlClient } from './PgliteSqlClient.ts';
import { SqlStore } from './SqlStore.ts';

export interface OpenStoreOptions {
  /** PostgreSQL schema to use (tests isolate runs with one schema each). */
  readonly schema?: string;
  /** Embedded store: who takes the data dir's lock, and how long to wait for it. */
  readonly lock?: DataDirLockOptions;
}

export async function openStore(config: Config, options: OpenStoreOptions = {}): Promise<SqlStore> {
  const client = config.storage.databaseUrl
    ? await PgSqlClient.open({
        url: config.storage.databaseUrl,
        ...(options.schema !== undefined ? { schema: options.schema } : {}),
      })
    : await PgliteSqlClient.open(path.join(config.storage.dataDir, 'db'), options.lock);
  try {
    return await SqlStore.open(client);
  } catch (e) {
    await client.close();
    throw e;
  }
}
