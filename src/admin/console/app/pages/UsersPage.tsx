// Users and templates of one client, paged (oldest first); one user's
// template list (ids, dates, sizes; never the templates) and deleting a user.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { ClientPicker, fmtBytes, fmtTime, Loading, PageTitle, Section, Status, useLoad, THead } from '../ui.tsx';
import type { UserDetail, UsersPage as Page } from '../wire.ts';

const LIMIT = 20;

function UserView(p: { readonly clientId: string; readonly userId: string; readonly onDeleted: () => void }) {
  const user = useLoad(() => api.get<UserDetail>(`/clients/${p.clientId}/users/${encodeURIComponent(p.userId)}`), [p.clientId, p.userId]);
  const [msg, setMsg] = useState<string | null>(null);
  const remove = async (): Promise<void> => {
    if (!confirm(`Delete user ${p.userId} and their templates?`)) return;
    try {
      await api.send('DELETE', `/clients/${p.clientId}/users/${encodeURIComponent(p.userId)}`);
      p.onDeleted();
    } catch (e) {
      setMsg(errorText(e));
    }
  };
  return (
    <Section title={`User ${p.userId}`} id="user">
      <Loading what={user} />
      <table>
        <caption>Templates of {p.userId}</caption>
        <THead cols={['Template id', 'Created', 'Size']} />
        <tbody>
          {(user.data?.templates ?? []).map((t) => (
            <tr key={t.template_id}><th scope="row"><code>{t.template_id}</code></th><td>{fmtTime(t.created_at)}</td><td>{fmtBytes(t.bytes)}</td></tr>
          ))}
        </tbody>
      </table>
      <button type="button" class="danger" onClick={() => void remove()}>Delete user</button>
      <Status error message={msg} />
    </Section>
  );
}

export function UsersPage() {
  const [clientId, setClientId] = useState('');
  const [offset, setOffset] = useState(0);
  const [userId, setUserId] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const page = useLoad(
    () => (clientId ? api.get<Page>(`/clients/${clientId}/users`, { limit: LIMIT, offset }) : Promise.resolve(null)),
    [clientId, offset],
  );
  const total = page.data?.total ?? 0;
  return (
    <>
      <PageTitle>Users and templates</PageTitle>
      <ClientPicker
        id="users-client"
        value={clientId}
        onChange={(id) => {
          setClientId(id);
          setOffset(0);
          setUserId(null);
        }}
      />
      <Loading what={page} />
      <table>
        <caption>
          Users {total === 0 ? '(none)' : `${offset + 1}–${Math.min(offset + LIMIT, total)} of ${total}`}
        </caption>
        <THead cols={['User id', 'Enrolled', 'Templates']} />
        <tbody>
          {(page.data?.users ?? []).map((u) => (
            <tr key={u.external_user_id}>
              <th scope="row">
                <button type="button" class="link" aria-pressed={u.external_user_id === userId} onClick={() => setUserId(u.external_user_id)}>{u.external_user_id}</button>
              </th>
              <td>{fmtTime(u.created_at)}</td>
              <td>{u.templates}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="row pager">
        <button type="button" class="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>Previous page</button>
        <button type="button" class="secondary" disabled={offset + LIMIT >= total} onClick={() => setOffset(offset + LIMIT)}>Next page</button>
      </div>
      <Status message={msg} />
      {userId && clientId ? (
        <UserView
          key={userId}
          clientId={clientId}
          userId={userId}
          onDeleted={() => {
            setMsg(`User ${userId} deleted.`);
            setUserId(null);
            page.reload();
          }}
        />
      ) : null}
    </>
  );
}
