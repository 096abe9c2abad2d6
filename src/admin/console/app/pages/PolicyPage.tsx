// Policy: one client's session defaults, rate limits and whether liveness may
// be skipped (PUT /clients/:id/policy). Empty number fields are left unset.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.ts';
import { ClientPicker, Loading, PageTitle, Section, Status, useLoad } from '../ui.tsx';
import type { Policy } from '../wire.ts';

type NumberField = 'session_ttl_s' | 'liveness_challenges' | 'liveness_max_attempts' | 'enroll_samples' | 'per_key_per_minute' | 'per_ip_per_minute';
const FIELDS: readonly { key: NumberField; label: string; min: number; max: number; group: 'session_defaults' | 'rate_limits' }[] = [
  { key: 'session_ttl_s', label: 'Session lifetime (s)', min: 10, max: 3600, group: 'session_defaults' },
  { key: 'liveness_challenges', label: 'Liveness challenges', min: 1, max: 2, group: 'session_defaults' },
  { key: 'liveness_max_attempts', label: 'Liveness attempts', min: 1, max: 5, group: 'session_defaults' },
  { key: 'enroll_samples', label: 'Enrolment samples', min: 1, max: 20, group: 'session_defaults' },
  { key: 'per_key_per_minute', label: 'Requests per key per minute', min: 1, max: 1_000_000, group: 'rate_limits' },
  { key: 'per_ip_per_minute', label: 'Requests per IP per minute', min: 1, max: 1_000_000, group: 'rate_limits' },
];

function toForm(p: Policy): Record<NumberField, string> {
  const out = {} as Record<NumberField, string>;
  for (const f of FIELDS) {
    const v = (p[f.group] as Partial<Record<NumberField, number>>)[f.key];
    out[f.key] = v === undefined ? '' : String(v);
  }
  return out;
}

export function PolicyPage() {
  const [clientId, setClientId] = useState('');
  const policy = useLoad(() => (clientId ? api.get<{ policy: Policy }>(`/clients/${clientId}/policy`) : Promise.resolve(null)), [clientId]);
  const [form, setForm] = useState<Record<NumberField, string> | null>(null);
  const [skip, setSkip] = useState(false);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  useEffect(() => {
    if (policy.data) {
      setForm(toForm(policy.data.policy));
      setSkip(policy.data.policy.allow_skip_liveness);
    }
  }, [policy.data]);
  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!form) return;
    const body: { session_defaults: Record<string, number>; rate_limits: Record<string, number>; allow_skip_liveness: boolean } = {
      session_defaults: {},
      rate_limits: {},
      allow_skip_liveness: skip,
    };
    for (const f of FIELDS) if (form[f.key] !== '') body[f.group][f.key] = Number(form[f.key]);
    try {
      await api.send('PUT', `/clients/${clientId}/policy`, body);
      setMsg({ text: 'Policy saved.', error: false });
      policy.reload();
    } catch (err) {
      setMsg({ text: errorText(err), error: true });
    }
  };
  return (
    <>
      <PageTitle>Policy</PageTitle>
      <ClientPicker id="policy-client" value={clientId} onChange={setClientId} />
      <Loading what={policy} />
      {form && clientId ? (
        <form onSubmit={(e) => void save(e)}>
          {(['session_defaults', 'rate_limits'] as const).map((g) => (
            <fieldset key={g}>
              <legend>{g === 'session_defaults' ? 'Session defaults' : 'Rate limits'}</legend>
              {FIELDS.filter((f) => f.group === g).map((f) => (
                <div class="field" key={f.key}>
                  <label for={`p-${f.key}`}>{f.label}</label>
                  <input
                    id={`p-${f.key}`}
                    type="number"
                    min={f.min}
                    max={f.max}
                    placeholder="server default"
                    value={form[f.key]}
                    onInput={(e) => setForm({ ...form, [f.key]: (e.currentTarget as HTMLInputElement).value })}
                  />
                </div>
              ))}
            </fieldset>
          ))}
          <div class="field check">
            <input id="p-skip" type="checkbox" checked={skip} onChange={(e) => setSkip((e.currentTarget as HTMLInputElement).checked)} />
            <label for="p-skip">Liveness may be skipped</label>
          </div>
          <button type="submit">Save policy</button>
          <Status message={msg?.text ?? null} error={msg?.error ?? false} />
        </form>
      ) : null}
      <Section title="About policies">
        <p>The policy is stored and served per client; the session service applies it when it creates sessions.</p>
      </Section>
    </>
  );
}
