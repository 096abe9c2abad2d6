// A digest of every table in the store's schema, read through the store's own
// SQL client: one statement, one md5 per table over its rows in a stable
// order. Equal digests before and after a rejected request mean it changed
// nothing durable.
import type { SqlExecutor } from '../../src/store/SqlClient.ts';

export class StoreDigest {
  readonly #sql: SqlExecutor;
  #statement: string | null = null;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  /** table -> "rows:md5"; tables are listed once, on first use (migrations have run by then). */
  async take(): Promise<Record<string, string>> {
    this.#statement ??= await this.#build();
    const rows = await this.#sql.query<{ t: string; n: number | string; h: string }>(this.#statement);
    return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
  }

  async #build(): Promise<string> {
    const tables = await this.#sql.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    if (tables.length === 0) throw new Error('the store has no tables in its schema');
    return tables
      .map(({ table_name: t }) => {
        const q = `"${t.replace(/"/g, '""')}"`;
        return `SELECT '${t.replace(/'/g, "''")}' AS t, count(*) AS n, md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) AS h FROM ${q} r`;
      })
      .join(' UNION ALL ');
  }
}

/** The tables whose digest differs, for a failure message. */
export function changedTables(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((n) => before[n] !== after[n]).sort();
}
