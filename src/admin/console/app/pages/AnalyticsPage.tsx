// Analytics over a period (default the last 30 days), all clients or one:
// attempts and success rate per day, failure reasons, verdict latency
// percentiles; each chart (uPlot) has its numbers in a table beside it.
import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { api } from '../api.ts';
import { barPaths, Chart, COLORS } from '../Chart.tsx';
import { ClientPicker, fmtNum, Loading, PageTitle, Section, useLoad, THead } from '../ui.tsx';
import type { Analytics } from '../wire.ts';

const DAY_S = 86400;
const dayTs = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000;
const categoryAxis = (names: readonly string[]): uPlot.Axis => ({ stroke: COLORS.grey, values: (_u, ticks) => ticks.map((t) => names[Math.round(t)] ?? '') });
const barScale: uPlot.Scales = { x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] } };

function PerDay(p: { readonly a: Analytics }) {
  const { options, data } = useMemo(() => {
    // Every day of the period, days without sessions as 0 attempts (no rate).
    const byDay = new Map(p.a.per_day.map((x) => [x.day, x]));
    const first = dayTs(p.a.from.slice(0, 10));
    const last = dayTs(p.a.to.slice(0, 10));
    const xs: number[] = [];
    for (let t = first; t <= last && xs.length < 400; t += DAY_S) xs.push(t);
    const at = (t: number) => byDay.get(new Date(t * 1000).toISOString().slice(0, 10));
    const data: uPlot.AlignedData = [
      xs,
      xs.map((t) => at(t)?.attempts ?? 0),
      xs.map((t) => {
        const r = at(t)?.success_rate;
        return r === undefined || r === null ? null : r * 100;
      }),
    ];
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { x: { time: true, range: () => [first - DAY_S / 2, last + DAY_S / 2] }, rate: { range: [0, 100] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        { label: 'Attempts', stroke: COLORS.blue, fill: 'rgba(31,95,191,0.25)', paths: barPaths, points: { show: false } },
        { label: 'Success rate (%)', stroke: COLORS.green, width: 2, scale: 'rate', spanGaps: true, points: { show: true, size: 6, fill: COLORS.green } },
      ],
      axes: [{ stroke: COLORS.grey }, { stroke: COLORS.grey, label: 'attempts' }, { stroke: COLORS.grey, scale: 'rate', side: 1, label: 'success %', grid: { show: false } }],
    };
    return { options, data };
  }, [p.a]);
  const total = p.a.per_day.reduce((s, x) => s + x.attempts, 0);
  const ok = p.a.per_day.reduce((s, x) => s + x.successes, 0);
  return (
    <Chart id="chart-per-day" title="Attempts and success rate per day" summary={`${total} attempts over ${p.a.per_day.length} days, ${total ? Math.round((ok / total) * 100) : 0}% succeeded`} options={options} data={data}>
      <table>
        <caption>Attempts per day</caption>
        <THead cols={['Day', 'Attempts', 'Successes', 'Success rate']} />
        <tbody>
          {p.a.per_day.map((x) => (
            <tr key={x.day}><th scope="row">{x.day}</th><td>{x.attempts}</td><td>{x.successes}</td><td>{x.success_rate === null ? '–' : `${(x.success_rate * 100).toFixed(1)}%`}</td></tr>
          ))}
        </tbody>
      </table>
    </Chart>
  );
}

function Bars(p: { readonly id: string; readonly title: string; readonly unit: string; readonly color: string; readonly entries: readonly (readonly [string, number | null])[] }) {
  const { options, data } = useMemo(() => {
    const names = p.entries.map(([k]) => k);
    const data: uPlot.AlignedData = [names.map((_, i) => i), p.entries.map(([, v]) => v)];
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: { ...barScale, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [{}, { label: p.unit, stroke: p.color, fill: p.color, paths: barPaths, points: { show: false } }],
      axes: [{ ...categoryAxis(names), splits: () => names.map((_, i) => i) }, { stroke: COLORS.grey, label: p.unit }],
    };
    return { options, data };
  }, [p.entries]);
  const summary = p.entries.length ? p.entries.map(([k, v]) => `${k}: ${fmtNum(v, 0)}`).join(', ') : 'no data';
  return (
    <Chart id={p.id} title={p.title} summary={summary} options={options} data={data}>
      <table>
        <caption>{p.title}</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">{p.unit}</th></tr></thead>
        <tbody>
          {p.entries.length === 0 ? <tr><td colSpan={2}>none</td></tr> : null}
          {p.entries.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{fmtNum(v, 1)}</td></tr>)}
        </tbody>
      </table>
    </Chart>
  );
}

export function AnalyticsPage() {
  const [clientId, setClientId] = useState('');
  const a = useLoad(() => api.get<Analytics>('/analytics', { client_id: clientId }), [clientId]);
  const reasons = useMemo(() => Object.entries(a.data?.failure_reasons ?? {}).sort((x, y) => y[1] - x[1]), [a.data]);
  const latency = useMemo((): (readonly [string, number | null])[] => {
    const l = a.data?.latency_ms;
    return l ? [['p50', l.p50], ['p95', l.p95], ['p99', l.p99]] : [];
  }, [a.data]);
  return (
    <>
      <PageTitle>Analytics</PageTitle>
      <ClientPicker id="analytics-client" value={clientId} onChange={setClientId} allowAll />
      <Loading what={a} />
      {a.data ? (
        <>
          <p class="muted">
            From {a.data.from.slice(0, 10)} to {a.data.to.slice(0, 10)}, all session kinds.
          </p>
          <Section title="Attempts">
            <PerDay a={a.data} />
          </Section>
          <div class="grid2">
            <Section title="Failures">
              <Bars id="chart-reasons" title="Failure reasons" unit="sessions" color={COLORS.red} entries={reasons} />
            </Section>
            <Section title="Latency">
              <Bars id="chart-latency" title="Verdict latency percentiles" unit="ms" color={COLORS.blue} entries={latency} />
            </Section>
          </div>
        </>
      ) : null}
    </>
  );
}
