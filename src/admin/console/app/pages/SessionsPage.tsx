// Sessions: this node's live list (GET /sessions, then kept current by the
// event stream), filtered by status and kind; one session's decision with
// every per-signal score and per-stage timing.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { BASE } from '../router.ts';
import { fmtNum, fmtTime, Loading, PageTitle, Section, Status, useLoad, THead } from '../ui.tsx';
import { SESSION_KINDS, SESSION_STATUSES, type SessionDetail, type SessionKind, type SessionStatus, type SessionView } from '../wire.ts';

/** The event stream, shared by the list and the detail page: calls `on` with each session event. */
function useSessionEvents(on: (type: string, s: SessionView) => void): boolean {
  const [open, setOpen] = useState(false);
  useEffect(
    () =>
      api.events(
        (e) => {
          if (e.type !== 'job.run') on(e.type, e.session);
        },
        setOpen,
      ),
    [],
  );
  return open;
}

export function SessionsPage() {
  const [status, setStatus] = useState<SessionStatus | ''>('');
  const [kind, setKind] = useState<SessionKind | ''>('');
  const [byId, setById] = useState<ReadonlyMap<string, SessionView>>(new Map());
  const [announce, setAnnounce] = useState<string | null>(null);
  const initial = useLoad(() => api.get<{ node_id: string | null; sessions: SessionView[] }>('/sessions', { limit: 200 }), []);
  useEffect(() => {
    if (initial.data) setById((m) => new Map([...initial.data!.sessions.map((s) => [s.session_id, s] as const), ...m]));
  }, [initial.data]);
  const live = useSessionEvents((type, s) => {
    setById((m) => new Map(m).set(s.session_id, s));
    if (type === 'session.created') setAnnounce(`New ${s.kind} session ${s.session_id}.`);
    if (type === 'session.finished') setAnnounce(`Session ${s.session_id} ${s.status}${s.decision?.reason ? `: ${s.decision.reason}` : ''}.`);
  });
  const rows = useMemo(
    () =>
      [...byId.values()]
        .filter((s) => (status === '' || s.status === status) && (kind === '' || s.kind === kind))
        .sort((a, b) => b.updated_at.localeCompare(a.updated_at)),
    [byId, status, kind],
  );
  return (
    <>
      <PageTitle>Sessions</PageTitle>
      <p class="muted">
        Live from node <code>{initial.data?.node_id ?? '…'}</code>: <span data-testid="stream-state">{live ? 'connected' : 'connecting…'}</span>.
        Finished sessions stay listed for 15 minutes; older ones are in the audit log.
      </p>
      <form class="row" onSubmit={(e) => e.preventDefault()} aria-label="Filter sessions">
        <div class="field inline">
          <label for="f-status">Status</label>
          <select id="f-status" value={status} onChange={(e) => setStatus((e.currentTarget as HTMLSelectElement).value as SessionStatus | '')}>
            <option value="">Any</option>
            {SESSION_STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
        <div class="field inline">
          <label for="f-kind">Kind</label>
          <select id="f-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as SessionKind | '')}>
            <option value="">Any</option>
            {SESSION_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </div>
      </form>
      <Status message={announce} id="sessions-live" />
      <Loading what={initial} />
      <table id="sessions-table">
        <caption>Sessions ({rows.length})</caption>
        <THead cols={['Session', 'Kind', 'Status', 'Client', 'User', 'Frames', 'Feedback / reason', 'Updated']} />
        <tbody>
          {rows.map((s) => (
            <tr key={s.session_id} data-session-id={s.session_id} data-status={s.status}>
              <th scope="row"><a href={`${BASE}/sessions/${encodeURIComponent(s.session_id)}`}>{s.session_id}</a></th>
              <td>{s.kind}</td>
              <td><span class={`badge ${s.status}`}>{s.status}</span></td>
              <td><code>{s.client_id}</code></td>
              <td>{s.external_user_id ?? '–'}</td>
              <td>{s.frames_processed}</td>
              <td>{s.decision?.reason ?? s.feedback ?? '–'}</td>
              <td>{fmtTime(s.updated_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function NumberTable(p: { readonly caption: string; readonly name: string; readonly unit: string; readonly values: Readonly<Record<string, number>>; readonly id: string }) {
  const entries = Object.entries(p.values);
  return (
    <table id={p.id}>
      <caption>{p.caption}</caption>
      <thead>
        <tr><th scope="col">{p.name}</th><th scope="col">{p.unit}</th></tr>
      </thead>
      <tbody>
        {entries.length === 0 ? <tr><td colSpan={2}>none</td></tr> : null}
        {entries.map(([k, v]) => (
          <tr key={k}><th scope="row">{k}</th><td>{fmtNum(v)}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

export function SessionDetailPage(p: { readonly sessionId: string }) {
  const s = useLoad(() => api.get<SessionDetail>(`/sessions/${encodeURIComponent(p.sessionId)}`), [p.sessionId]);
  useSessionEvents((_type, v) => {
    if (v.session_id === p.sessionId) s.reload();
  });
  const d = s.data;
  return (
    <>
      <PageTitle>Session {p.sessionId}</PageTitle>
      <p><a href={`${BASE}/sessions`}>Back to sessions</a></p>
      <Loading what={s} />
      {d ? (
        <>
          <dl class="facts">
            <dt>Status</dt><dd><span class={`badge ${d.status}`} data-testid="session-status">{d.status}</span></dd>
            <dt>Kind</dt><dd>{d.kind ?? '–'}</dd>
            <dt>Client</dt><dd><code>{d.client_id ?? '–'}</code></dd>
            <dt>User</dt><dd>{d.external_user_id ?? '–'}</dd>
            {d.frames_processed !== undefined ? (<><dt>Frames processed</dt><dd>{d.frames_processed}</dd></>) : null}
            {d.created_at ? (<><dt>Created</dt><dd>{fmtTime(d.created_at)}</dd></>) : null}
          </dl>
          <Section title="Decision">
            {d.decision ? (
              <>
                <dl class="facts">
                  <dt>Outcome</dt><dd>{d.decision.outcome ?? d.status}</dd>
                  <dt>Reason</dt><dd>{d.decision.reason ?? 'none'}</dd>
                  <dt>Similarity</dt><dd>{fmtNum(d.decision.similarity)}</dd>
                  <dt>Decided</dt><dd>{fmtTime(d.decision.decided_at)}</dd>
                  <dt>Duration</dt><dd>{d.decision.duration_ms === null ? '–' : `${d.decision.duration_ms} ms`}</dd>
                </dl>
                <div class="grid2">
                  <NumberTable id="scores" caption="Per-signal scores" name="Signal" unit="Score" values={d.decision.scores} />
                  <NumberTable id="timings" caption="Timings of the deciding frame" name="Stage" unit="ms" values={d.decision.timings_ms} />
                </div>
              </>
            ) : (
              <p>Not decided yet.</p>
            )}
          </Section>
          {d.events ? (
            <Section title="Audit events">
              <table>
                <caption>Audit log rows of this session</caption>
                <THead cols={['Seq', 'At', 'Event']} />
                <tbody>
                  {d.events.map((e) => <tr key={e.seq}><th scope="row">{e.seq}</th><td>{fmtTime(e.at)}</td><td>{e.event}</td></tr>)}
                </tbody>
              </table>
            </Section>
          ) : null}
        </>
      ) : null}
    </>
  );
}
