// Clients: create one (its first API key shown once), list them, and for the
// selected client its keys with new / revoke / rotate, rename and delete.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { fmtTime, Loading, PageTitle, Section, ShownOnce, Status, useLoad, THead } from '../ui.tsx';
import type { ApiKey, ClientSummary, CreatedClient, NewKey } from '../wire.ts';

interface Secret {
  readonly label: string;
  readonly value: string;
}

function Keys(p: { readonly clientId: string; readonly name: string; readonly onSecret: (s: Secret) => void; readonly onChange: () => void }) {
  const keys = useLoad(() => api.get<{ keys: ApiKey[] }>(`/clients/${p.clientId}/keys`), [p.clientId]);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const [overlap, setOverlap] = useState('3600');
  const act = async (what: () => Promise<string>): Promise<void> => {
    try {
      setMsg({ text: await what(), error: false });
    } catch (e) {
      setMsg({ text: errorText(e), error: true });
    }
    keys.reload();
    p.onChange();
  };
  const newKey = () =>
    act(async () => {
      const k = await api.send<NewKey>('POST', `/clients/${p.clientId}/keys`);
      p.onSecret({ label: `New API key ${k.key_id}`, value: k.api_key });
      return `Key ${k.key_id} created.`;
    });
  const revoke = (keyId: string) =>
    act(async () => {
      await api.send('POST', `/clients/${p.clientId}/keys/${keyId}/revoke`);
      return `Key ${keyId} revoked: it and its tokens are refused from now on.`;
    });
  const rotate = (keyId: string) =>
    act(async () => {
      const k = await api.send<NewKey>('POST', `/clients/${p.clientId}/keys/${keyId}/rotate`, { overlap_s: Number(overlap) });
      p.onSecret({ label: `New API key ${k.key_id}`, value: k.api_key });
      return `Key ${keyId} rotated to ${k.key_id}; the old key works until ${fmtTime(k.old_key_revokes_at)}.`;
    });
  return (
    <Section title={`API keys of ${p.name}`} id="keys">
      <Loading what={keys} />
      <table>
        <caption>API keys of {p.name}</caption>
        <THead cols={['Key id', 'Status', 'Created', 'Revoked / revokes at', 'Actions']} />
        <tbody>
          {(keys.data?.keys ?? []).map((k) => (
            <tr key={k.key_id} data-key-id={k.key_id}>
              <th scope="row"><code>{k.key_id}</code></th>
              <td><span class={`badge ${k.status}`}>{k.status}</span></td>
              <td>{fmtTime(k.created_at)}</td>
              <td>{fmtTime(k.revoked_at ?? k.revokes_at)}</td>
              <td>
                {k.status !== 'revoked' ? (
                  <span class="actions">
                    <button type="button" class="danger" onClick={() => void revoke(k.key_id)} aria-label={`Revoke key ${k.key_id}`}>Revoke</button>
                    {k.status === 'active' ? (
                      <button type="button" class="secondary" onClick={() => void rotate(k.key_id)} aria-label={`Rotate key ${k.key_id}`}>Rotate</button>
                    ) : null}
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="row">
        <button type="button" onClick={() => void newKey()}>New API key</button>
        <div class="field inline">
          <label for="overlap">Rotation overlap (seconds)</label>
          <input id="overlap" type="number" min={0} max={2592000} value={overlap} onInput={(e) => setOverlap((e.currentTarget as HTMLInputElement).value)} />
        </div>
      </div>
      <Status message={msg?.text ?? null} error={msg?.error ?? false} />
    </Section>
  );
}

function ClientActions(p: { readonly client: ClientSummary; readonly onChange: () => void; readonly onDeleted: () => void }) {
  const [name, setName] = useState(p.client.name);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const rename = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api.send('PATCH', `/clients/${p.client.client_id}`, { name });
      setMsg({ text: `Renamed to ${name}.`, error: false });
      p.onChange();
    } catch (err) {
      setMsg({ text: errorText(err), error: true });
    }
  };
  const remove = async (): Promise<void> => {
    if (!confirm(`Delete ${p.client.name}? Its users and templates are destroyed (crypto-shredding). This cannot be undone.`)) return;
    try {
      await api.send('DELETE', `/clients/${p.client.client_id}`);
      p.onDeleted();
    } catch (err) {
      setMsg({ text: errorText(err), error: true });
    }
  };
  return (
    <Section title={`Manage ${p.client.name}`} id="manage">
      <form class="row" onSubmit={(e) => void rename(e)}>
        <div class="field inline">
          <label for="rename">Name</label>
          <input id="rename" required maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit" class="secondary">Rename</button>
        <button type="button" class="danger" onClick={() => void remove()}>Delete client</button>
      </form>
      <Status message={msg?.text ?? null} error={msg?.error ?? false} />
    </Section>
  );
}

export function ClientsPage() {
  const clients = useLoad(() => api.get<{ clients: ClientSummary[] }>('/clients'), []);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<Secret | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const c = await api.send<CreatedClient>('POST', '/clients', { name });
      setSecret({ label: `API key of ${c.name}`, value: c.api_key });
      setSelected(c.client_id);
      setMsg({ text: `Client ${c.name} created (${c.client_id}).`, error: false });
      setName('');
      clients.reload();
    } catch (err) {
      setMsg({ text: errorText(err), error: true });
    }
  };
  const list = clients.data?.clients ?? [];
  const current = list.find((c) => c.client_id === selected) ?? null;
  return (
    <>
      <PageTitle>Clients</PageTitle>
      <Section title="Create a client">
        <form class="row" onSubmit={(e) => void create(e)}>
          <div class="field inline">
            <label for="client-name">Client name</label>
            <input id="client-name" required maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <button type="submit">Create client</button>
        </form>
        <Status message={msg?.text ?? null} error={msg?.error ?? false} />
      </Section>
      {secret ? <ShownOnce label={secret.label} value={secret.value} onDone={() => setSecret(null)} /> : null}
      <Section title="All clients">
        <Loading what={clients} />
        <table>
          <caption>Clients ({list.length})</caption>
          <THead cols={['Name', 'Client id', 'Created', 'Active keys', 'Users', 'Webhook']} />
          <tbody>
            {list.map((c) => (
              <tr key={c.client_id} class={c.client_id === selected ? 'selected' : undefined}>
                <th scope="row">
                  <button type="button" class="link" aria-pressed={c.client_id === selected} onClick={() => setSelected(c.client_id)}>{c.name}</button>
                </th>
                <td><code>{c.client_id}</code></td>
                <td>{fmtTime(c.created_at)}</td>
                <td>{c.active_keys}</td>
                <td>{c.users}</td>
                <td>{c.webhook_url ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {current ? (
        <>
          <Keys clientId={current.client_id} name={current.name} onSecret={setSecret} onChange={clients.reload} />
          <ClientActions
            key={current.client_id}
            client={current}
            onChange={clients.reload}
            onDeleted={() => {
              setSelected(null);
              setMsg({ text: `Client ${current.name} deleted.`, error: false });
              clients.reload();
            }}
          />
        </>
      ) : (
        <p class="muted">Choose a client by its name to see its keys.</p>
      )}
    </>
  );
}
