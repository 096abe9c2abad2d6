// Webhooks of one client: the URL (setting it shows the signing secret once),
// recent deliveries, and redelivering a finished one.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { ClientPicker, fmtTime, Loading, PageTitle, Section, ShownOnce, Status, useLoad, THead } from '../ui.tsx';
import type { Delivery } from '../wire.ts';

export function WebhooksPage() {
  const [clientId, setClientId] = useState('');
  const hook = useLoad(() => (clientId ? api.get<{ url: string | null; configured: boolean }>(`/clients/${clientId}/webhook`) : Promise.resolve(null)), [clientId]);
  const deliveries = useLoad(
    () => (clientId ? api.get<{ deliveries: Delivery[] }>(`/clients/${clientId}/webhook/deliveries`, { limit: 50 }) : Promise.resolve(null)),
    [clientId],
  );
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  useEffect(() => setUrl(hook.data?.url ?? ''), [hook.data]);
  const save = async (remove: boolean): Promise<void> => {
    try {
      const r = await api.send<{ url: string | null; secret: string | null }>('PUT', `/clients/${clientId}/webhook`, { url: remove ? null : url });
      setSecret(r.secret ?? null);
      setMsg({ text: remove ? 'Webhook removed.' : `Webhook set to ${r.url ?? ''}.`, error: false });
      hook.reload();
    } catch (e) {
      setMsg({ text: errorText(e), error: true });
    }
  };
  const redeliver = async (id: string): Promise<void> => {
    try {
      await api.send('POST', `/clients/${clientId}/webhook/deliveries/${encodeURIComponent(id)}/redeliver`);
      setMsg({ text: `Delivery ${id} queued again.`, error: false });
    } catch (e) {
      setMsg({ text: errorText(e), error: true });
    }
    deliveries.reload();
  };
  const rows = deliveries.data?.deliveries ?? [];
  return (
    <>
      <PageTitle>Webhooks</PageTitle>
      <ClientPicker id="webhook-client" value={clientId} onChange={setClientId} />
      <Loading what={hook} />
      {clientId ? (
        <Section title="Configuration">
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void save(false);
            }}
          >
            <div class="field inline wide">
              <label for="webhook-url">Webhook URL</label>
              <input id="webhook-url" type="url" required value={url} placeholder="https://example.com/facegate" onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)} />
            </div>
            <button type="submit">Save webhook</button>
            <button type="button" class="secondary" disabled={!hook.data?.configured} onClick={() => void save(true)}>Remove webhook</button>
          </form>
          <Status message={msg?.text ?? null} error={msg?.error ?? false} />
          {secret ? <ShownOnce label="Webhook signing secret" value={secret} onDone={() => setSecret(null)} /> : null}
        </Section>
      ) : null}
      <Section title="Deliveries">
        <Loading what={deliveries} />
        <table>
          <caption>Recent deliveries ({rows.length})</caption>
          <THead cols={['Delivery', 'Event', 'Status', 'Attempts', 'Last answer', 'Created', 'Actions']} />
          <tbody>
            {rows.map((d) => (
              <tr key={d.delivery_id}>
                <th scope="row"><code>{d.delivery_id}</code></th>
                <td>{d.event}</td>
                <td><span class={`badge ${d.status}`}>{d.status}</span></td>
                <td>{d.attempts}</td>
                <td>{d.last_status ?? d.last_error ?? '–'}</td>
                <td>{fmtTime(d.created_at)}</td>
                <td>
                  <button type="button" class="secondary" disabled={d.status === 'pending'} onClick={() => void redeliver(d.delivery_id)} aria-label={`Redeliver ${d.delivery_id}`}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </>
  );
}
