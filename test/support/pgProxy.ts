// A service on PostgreSQL (FACEGATE_TEST_DATABASE_URL) reached through a
// TcpProxy the test can cut; the test context's after-hook closes the
// service and the proxy and drops the run's schema.
import type { TestContext } from 'node:test';
import { PG_URL, dropSchema, startService, type Running } from '../src/fixtures.ts';
import { TcpProxy } from './outage.ts';

export async function startServiceBehindPgProxy(t: TestContext): Promise<{ run: Running; proxy: TcpProxy }> {
  if (!PG_URL) throw new Error('FACEGATE_TEST_DATABASE_URL is not set');
  const target = new URL(PG_URL);
  const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
  const run = await startService({ name: 'postgres via proxy', databaseUrl: proxy.rewrite(PG_URL) });
  t.after(async () => {
    await run.close();
    await proxy.close();
    await dropSchema(run.schema);
  });
  return { run, proxy };
}
