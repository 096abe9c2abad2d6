// System: health of each part, versions, memory, media workers, gallery sizes
// and recent background job runs (kept current by the event stream's job.run).
import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import { api } from '../api.ts';
import { fmtBytes, fmtTime, Loading, PageTitle, Section, useLoad, THead } from '../ui.tsx';
import type { SystemInfo } from '../wire.ts';

export function SystemPage() {
  const sys = useLoad(() => api.get<SystemInfo>('/system'), []);
  useEffect(() => api.events((e) => e.type === 'job.run' && sys.reload(), () => {}), []);
  const s = sys.data;
  return (
    <>
      <PageTitle>System</PageTitle>
      <button type="button" class="secondary" onClick={sys.reload}>Refresh</button>
      <Loading what={sys} />
      {s ? (
        <>
          <Section title="Health">
            <dl class="facts" id="health">
              {Object.entries(s.health ?? {}).map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd><span class={`badge ${v}`}>{v}</span></dd>
                </Fragment>
              ))}
            </dl>
          </Section>
          <Section title="Node">
            <dl class="facts">
              <dt>Node id</dt><dd><code>{s.node_id ?? '–'}</code></dd>
              <dt>Process</dt><dd>pid {s.pid}, up {s.uptime_s} s</dd>
              <dt>Store</dt><dd>{s.store}</dd>
              <dt>Versions</dt><dd>facegate {s.versions.facegate}, Node.js {s.versions.node}, schema {s.versions.schema}</dd>
              <dt>Memory</dt><dd>RSS {fmtBytes(s.memory.rss_bytes)}, heap {fmtBytes(s.memory.heap_used_bytes)}</dd>
              <dt>Retention</dt><dd>{s.retention_days} days</dd>
            </dl>
          </Section>
          <Section title="Media workers">
            <table>
              <caption>Media workers ({s.media?.sessions ?? 0} live sessions, {s.media?.workersReplaced ?? 0} replaced)</caption>
              <THead cols={['Worker', 'pid', 'Sessions']} />
              <tbody>
                {(s.media?.workers ?? []).map((w) => <tr key={w.index}><th scope="row">{w.index}</th><td>{w.pid ?? '–'}</td><td>{w.sessions}</td></tr>)}
              </tbody>
            </table>
          </Section>
          <Section title="Galleries">
            <table>
              <caption>Gallery size per client</caption>
              <THead cols={['Client', 'Client id', 'Templates']} />
              <tbody>
                {s.galleries.map((g) => <tr key={g.client_id}><th scope="row">{g.name}</th><td><code>{g.client_id}</code></td><td>{g.size}</td></tr>)}
              </tbody>
            </table>
          </Section>
          <Section title="Background jobs">
            <p>{s.jobs?.enabled ? 'Jobs run on this node.' : 'Jobs are off on this node.'}</p>
            <table>
              <caption>Recent job runs</caption>
              <THead cols={['Run', 'Status', 'Node', 'Started', 'Finished', 'Result']} />
              <tbody>
                {(s.jobs?.recent ?? []).map((j) => (
                  <tr key={j.id}>
                    <th scope="row">{j.id}</th>
                    <td><span class={`badge ${j.status}`}>{j.status}</span></td>
                    <td><code>{j.node_id}</code></td>
                    <td>{fmtTime(j.started_at)}</td>
                    <td>{fmtTime(j.finished_at)}</td>
                    <td><code class="payload">{j.error ?? JSON.stringify(j.result)}</code></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
        </>
      ) : null}
    </>
  );
}
