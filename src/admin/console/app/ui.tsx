// Small shared pieces of the console: data loading with an error, the
// client picker, status messages (aria-live), time and number formats.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorText } from './api.ts';
import type { ClientSummary } from './wire.ts';

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: string | null;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload()); keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** An announced message: polite for results, assertive (role=alert) for errors. */
export function Status(p: { readonly message: string | null; readonly error?: boolean; readonly id?: string }) {
  return p.error ? (
    <p role="alert" class="msg error" id={p.id}>{p.message ?? ''}</p>
  ) : (
    <p role="status" aria-live="polite" class="msg" id={p.id}>{p.message ?? ''}</p>
  );
}

export function Loading(p: { readonly what: Loaded<unknown> }) {
  if (p.what.error !== null) return <Status error message={p.what.error} />;
  if (p.what.loading && p.what.data === null) return <p class="muted">Loading…</p>;
  return null;
}

/** A labelled client select; `allowAll` adds "All clients" (value ""). */
export function ClientPicker(p: { readonly value: string; readonly onChange: (id: string) => void; readonly allowAll?: boolean; readonly id: string }) {
  const clients = useLoad(() => api.get<{ clients: ClientSummary[] }>('/clients'), []);
  const list = clients.data?.clients ?? [];
  useEffect(() => {
    if (!p.allowAll && p.value === '' && list[0]) p.onChange(list[0].client_id);
  }, [list.length]);
  return (
    <div class="field">
      <label for={p.id}>Client</label>
      <select id={p.id} value={p.value} onChange={(e) => p.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {p.allowAll ? <option value="">All clients</option> : list.length === 0 ? <option value="">No clients yet</option> : null}
        {list.map((c) => (
          <option key={c.client_id} value={c.client_id}>
            {c.name} ({c.client_id})
          </option>
        ))}
      </select>
    </div>
  );
}

export function Section(p: { readonly title: string; readonly children: ComponentChildren; readonly id?: string }) {
  const hid = `${p.id ?? p.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-h`;
  return (
    <section aria-labelledby={hid}>
      <h2 id={hid}>{p.title}</h2>
      {p.children}
    </section>
  );
}

export const fmtTime = (iso: string | null | undefined): string => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '–');
export const fmtNum = (n: number | null | undefined, digits = 3): string => (n === null || n === undefined ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(digits));
export const fmtBytes = (n: number): string => (n > 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** Each page's heading; focusable so navigation can move focus to it. */
export function PageTitle(p: { readonly children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{p.children}</h1>;
}

/** A secret the server shows once (an API key, a webhook secret). */
export function ShownOnce(p: { readonly label: string; readonly value: string; readonly onDone: () => void }) {
  return (
    <div class="once" role="region" aria-label={p.label}>
      <h2>{p.label}</h2>
      <p>This is shown once: copy it now. The server keeps only a hash.</p>
      <p>
        <code class="secret" data-testid="shown-once">{p.value}</code>
      </p>
      <button type="button" onClick={p.onDone}>I have copied it</button>
    </div>
  );
}

/** A table head of column headers. */
export function THead(p: { readonly cols: readonly string[] }) {
  return (
    <thead>
      <tr>
        {p.cols.map((c) => (
          <th scope="col" key={c}>{c}</th>
        ))}
      </tr>
    </thead>
  );
}
