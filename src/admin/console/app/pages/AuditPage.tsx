// Audit log: newest first, paged by `before_seq`, filtered by event, client
// and time; verifying the signed chain; exporting the signed bundle (fetched
// with the admin header, saved through a Blob URL).
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { fmtTime, Loading, PageTitle, Section, Status, useLoad, THead } from '../ui.tsx';
import type { AuditPage as Page, AuditVerify } from '../wire.ts';

const LIMIT = 25;

interface Filters {
  readonly event: string;
  readonly client_id: string;
  readonly from: string;
  readonly to: string;
}
const EMPTY: Filters = { event: '', client_id: '', from: '', to: '' };
/** datetime-local (the browser's local time) to ISO 8601 UTC. */
const iso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

function Verify() {
  const [result, setResult] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const verify = async (): Promise<void> => {
    setBusy(true);
    try {
      const v = await api.get<AuditVerify>('/audit/verify');
      setResult(
        v.ok
          ? { text: `Chain verified: ${v.rows} rows, ${v.signedRows} signed${v.checkpointSeq ? `, from checkpoint ${v.checkpointSeq}` : ''} (key ${v.key_id ?? '–'}).`, error: false }
          : { text: `Chain broken at row ${v.firstBadSeq}: ${v.reason} (${v.rows} rows read).`, error: true },
      );
    } catch (e) {
      setResult({ text: errorText(e), error: true });
    } finally {
      setBusy(false);
    }
  };
  const exportBundle = async (): Promise<void> => {
    try {
      const blob = await api.exportAudit();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'facegate-audit.jsonl';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      setResult({ text: `Exported the signed bundle (${blob.size} bytes). Verify it offline: npm run audit:verify -- --bundle FILE --key PUBLIC_KEY.pem`, error: false });
    } catch (e) {
      setResult({ text: errorText(e), error: true });
    }
  };
  return (
    <Section title="Integrity">
      <div class="row">
        <button type="button" onClick={() => void verify()} disabled={busy}>Verify the chain</button>
        <button type="button" class="secondary" onClick={() => void exportBundle()}>Export signed bundle</button>
      </div>
      <p role="status" aria-live="polite" id="verify-result" class={result?.error ? 'msg error' : 'msg'}>{result?.text ?? ''}</p>
    </Section>
  );
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  /** Cursors of the pages before this one (for Previous); the last is this page's. */
  const [cursors, setCursors] = useState<readonly (number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  // Each answer carries the page number it is for, so the caption never names a page still loading.
  const n = cursors.length;
  const loaded = useLoad(
    async () => ({
      n,
      page: await api.get<Page>('/audit', { limit: LIMIT, before_seq: before, event: filters.event, client_id: filters.client_id, from: iso(filters.from), to: iso(filters.to) }),
    }),
    [before, filters],
  );
  const page = { ...loaded, data: loaded.data?.page ?? null };
  const onInput = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  const field = (k: keyof Filters, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <div class="field inline">
      <label for={`a-${k}`}>{label}</label>
      {type === 'text' ? <input id={`a-${k}`} type="text" value={draft[k]} onInput={onInput(k)} /> : <input id={`a-${k}`} type="datetime-local" value={draft[k]} onInput={onInput(k)} />}
    </div>
  );
  const entries = page.data?.entries ?? [];
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Verify />
      <Section title="Entries">
        <form
          class="row"
          aria-label="Filter the audit log"
          onSubmit={(e) => {
            e.preventDefault();
            setFilters(draft);
            setCursors([undefined]);
          }}
        >
          {field('event', 'Event')}
          {field('client_id', 'Client id')}
          {field('from', 'From', 'datetime-local')}
          {field('to', 'To', 'datetime-local')}
          <button type="submit" class="secondary">Apply filters</button>
        </form>
        <Loading what={page} />
        <table id="audit-table">
          <caption>
            Audit entries {entries.length ? `${entries[0]!.seq}–${entries[entries.length - 1]!.seq}` : '(none)'}, page {loaded.data?.n ?? 1}
          </caption>
          <THead cols={['Seq', 'At', 'Event', 'Client', 'Payload', 'Hash']} />
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <th scope="row">{e.seq}</th>
                <td>{fmtTime(e.at)}</td>
                <td>{e.event}</td>
                <td>{e.client_id ? <code>{e.client_id}</code> : '–'}</td>
                <td><code class="payload">{JSON.stringify(e.payload)}</code></td>
                <td><code title={e.hash}>{e.hash.slice(0, 12)}…</code></td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="row pager">
          <button type="button" class="secondary" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>Newer entries</button>
          <button
            type="button"
            class="secondary"
            disabled={page.data?.next_before_seq == null}
            onClick={() => page.data?.next_before_seq != null && setCursors([...cursors, page.data.next_before_seq])}
          >
            Older entries
          </button>
        </div>
        <Status message={page.loading ? null : `Page ${loaded.data?.n ?? 1}: ${entries.length} entries.`} />
      </Section>
    </>
  );
}
