// Conformance with the documented API (../shared/documented-api/README.md,
// "API Documentation"): every request example, read out of the README at
// test time (documentedApi.ts), is replayed against a real node on embedded
// defaults (port 0, PGlite + memory, real models, the liveness engine with
// the clip's blink schedule), its frames a real face from a ../shared/video
// clip, and every field of every documented response example must be in the
// answer with the documented JSON type (recursively; date-times and dates
// must parse as such). The documented error body is checked on every
// documented error code the test can cause, and /health/ against its example.
// A field dropped from an answer fails the test; so does a newly documented
// request that the scenario below does not replay.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIP_SCHEDULES } from '../../../scripts/eval/lib/clipRunner.ts';
import { startScheduledNode, type ScheduledNode } from '../scheduledNode.ts';
import { readDocumentedApi, type RequestExample } from './documentedApi.ts';
import { clipDataUrls, type ClipFrame } from './frameSocketFixture.ts';

const CLIP = path.join(new URL('../../../../shared/video/', import.meta.url).pathname, 'genuine', 'liveportrait_d0.mp4');
const DOC = readDocumentedApi();

/**
 * Fields the documented examples show with a value facegate may answer null
 * for, each with why. Every other documented field must have the example's type.
 */
const MAY_BE_NULL: Readonly<Record<string, string>> = {
  quality_score: 'the liveness engine scores no per-frame quality; templates keep no per-sample quality',
  'liveness_data.blinks_detected': 'the liveness engine reports challenges, not a running blink count, per frame',
  'liveness_data.motion_score': 'no motion score is computed',
  'liveness_data.liveness_passed': 'liveness is decided once, at the end of the session',
  'enrollments[].quality_score': 'templates keep no per-sample quality',
  matched_enrollment_id: 'templates are kept per user, not per enrollment',
  confidence: 'no similarity when nothing in the gallery was a candidate',
  'metadata.face_quality': 'no quality score in the decision',
  average_response_time_ms: 'null without attempts in the range',
  next: 'null on the last page',
  previous: 'null on the first page',
};

/**
 * Object fields whose keys are data, not documented field names: 'typed',
 * every value has the type of the example's values; 'free', any values
 * (error details carry what the error needs: field, issues, reason, ...).
 */
const RECORDS: Readonly<Record<string, 'typed' | 'free'>> = { failure_reasons: 'typed', services: 'typed', details: 'free' };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Every field of `example` is in `actual` with its type; returns the problems (path: why). */
export function conformance(example: unknown, actual: unknown, at = ''): string[] {
  const name = at.replace(/^\./, '');
  if (example === null) return actual === undefined ? [`${name}: missing`] : [];
  if (actual === undefined) return [`${name}: missing`];
  if (actual === null && name in MAY_BE_NULL) return [];
  if (kindOf(actual) !== kindOf(example)) return [`${name}: ${kindOf(actual)} where the documented example has ${kindOf(example)} (${JSON.stringify(actual)})`];
  if (typeof example === 'string') {
    if (ISO_TIME.test(example) && !(ISO_TIME.test(String(actual)) && !Number.isNaN(Date.parse(String(actual))))) return [`${name}: ${String(actual)} is not an ISO date-time`];
    if (ISO_DATE.test(example) && !ISO_DATE.test(String(actual))) return [`${name}: ${String(actual)} is not a date`];
    return [];
  }
  if (Array.isArray(example)) {
    const a = actual as unknown[];
    if (example.length === 0) return [];
    if (a.length === 0) return [`${name}: empty where the documented example has elements (the scenario should fill it)`];
    return a.flatMap((el) => conformance(example[0], el, `${at}[]`));
  }
  if (typeof example === 'object') {
    const ex = example as Record<string, unknown>;
    const ac = actual as Record<string, unknown>;
    const record = RECORDS[name.split('.').at(-1) ?? ''];
    if (record === 'free') return [];
    if (record === 'typed') {
      const want = Object.values(ex).map(kindOf)[0];
      return Object.entries(ac).filter(([, v]) => kindOf(v) !== want).map(([k, v]) => `${name}.${k}: ${kindOf(v)}, documented values are ${want}`);
    }
    return Object.keys(ex).flatMap((k) => conformance(ex[k], ac[k], `${at}.${k}`));
  }
  return [];
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('the documented API, replayed from its README', { timeout: 240_000 }, () => {
  let fixture: ScheduledNode;
  let frames: ClipFrame[];
  let apiKey = '';
  let clientId = '';
  let jwt = '';
  let userAccess = '';
  const replayed = new Set<string>();

  const send = async (method: string, route: string, opts: { token?: string; json?: unknown; raw?: string } = {}): Promise<Answer> => {
    const res = await fetch(`${fixture.node.url}${route}`, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.json !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.json !== undefined ? { body: JSON.stringify(opts.json) } : opts.raw !== undefined ? { body: opts.raw } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  const example = (method: string, documentedPath: string): RequestExample => {
    const ex = DOC.requests.find((r) => r.method === method && r.path === documentedPath);
    assert.ok(ex, `the README documents ${method} ${documentedPath}`);
    replayed.add(`${method} ${documentedPath}`);
    return ex;
  };

  /** The documented request, its placeholders replaced: the token its Authorization names, the path's {session_token}, body values. */
  const replay = async (ex: RequestExample, o: { token?: string; sessionToken?: string; body?: Record<string, unknown>; query?: Record<string, string> } = {}): Promise<Answer> => {
    const auth = ex.headers.authorization ?? '';
    const token = o.token ?? (auth.includes('{ACCESS_TOKEN}') ? userAccess : jwt);
    let route = ex.path.replace('{session_token}', encodeURIComponent(o.sessionToken ?? ''));
    const q = { ...ex.query, ...o.query };
    if (Object.keys(q).length > 0) route += `?${new URLSearchParams(q).toString()}`;
    const body = ex.body === null ? undefined : { ...ex.body, ...o.body };
    return send(ex.method, route, { ...(token ? { token } : {}), ...(body !== undefined ? { json: body } : {}) });
  };

  const conforms = (ex: RequestExample, label: string, a: Answer, okStatus: number): void => {
    assert.equal(a.status, okStatus, `${ex.method} ${ex.path}: ${a.status} ${JSON.stringify(a.body)}`);
    const doc = ex.responses.find((r) => r.label === label);
    assert.ok(doc, `${ex.method} ${ex.path} documents a "${label}" example`);
    assert.deepEqual(conformance(doc.body, a.body), [], `${ex.method} ${ex.path} (${label}) against the documented example; answer: ${JSON.stringify(a.body).slice(0, 2000)}`);
  };

  /** Uploads the clip's frames at the clip's pace through the documented process-frame request until the session is decided. */
  const runClip = async (ex: RequestExample, sessionToken: string): Promise<Answer[]> => {
    const answers: Answer[] = [];
    const start = Date.now();
    for (const f of frames) {
      const wait = start + f.t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const a = await replay(ex, { body: { session_token: sessionToken, frame_data: f.dataUrl } });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      answers.push(a);
      if (a.body.decision !== null) return answers;
    }
    assert.fail(`the clip ended undecided: ${JSON.stringify(answers.at(-1)?.body)}`);
  };

  before(async () => {
    fixture = await startScheduledNode({ tmpPrefix: 'facegate-conformance-', schedule: () => CLIP_SCHEDULES.blink });
    frames = await clipDataUrls(CLIP, 10, 85);
    const c = await fixture.node.service.tenants.createClient('Conformance Client');
    apiKey = c.apiKey;
    clientId = c.clientId;
  });

  after(async () => {
    await fixture?.close();
  });

  it('POST /api/auth/client/: jwt_token, expires_at, client_id, client_name beside access_token', async () => {
    const ex = example('POST', '/api/auth/client/');
    const a = await replay(ex, { token: '', body: { api_key: apiKey } });
    conforms(ex, 'Response', a, 200);
    assert.equal(a.body.client_id, clientId);
    assert.equal(a.body.client_name, 'Conformance Client');
    assert.equal(a.body.jwt_token, a.body.access_token);
    jwt = String(a.body.jwt_token);
  });

  it('register, log in (POST /api/auth/token/), read and update the profile', async () => {
    const reg = example('POST', '/api/auth/register/');
    conforms(reg, 'Response', await replay(reg), 201);
    const login = example('POST', '/api/auth/token/');
    const a = await replay(login, { body: { email: reg.body!.email, password: reg.body!.password } });
    conforms(login, 'Response', a, 200);
    userAccess = String(a.body.access);
    const update = example('PUT', '/api/auth/profile/');
    const u = await replay(update);
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.full_name, update.body!.full_name);
  });

  it('enrollment: start a session with user_id + metadata, then frames of a real face as frame_data until it completes', async () => {
    const start = example('POST', '/api/auth/enrollment/');
    const s = await replay(start);
    conforms(start, 'Response', s, 201);
    const token = String(s.body.session_token);
    assert.equal(s.body.status, 'active');
    assert.equal(s.body.user_id, start.body!.user_id);
    assert.match(String(s.body.websocket_url), new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/ws/auth/process-image/${token}/$`));
    const frame = example('POST', '/api/auth/enrollment/process-frame/');
    const answers = await runClip(frame, token);
    const progress = answers.find((a) => a.body.decision === null);
    assert.ok(progress, 'an undecided frame came first');
    conforms(frame, 'Response', progress, 200);
    assert.equal(progress.body.session_status, 'in_progress');
    const final = answers.at(-1)!;
    conforms(frame, 'Final Response (when completed)', final, 200);
    assert.equal(final.body.session_status, 'completed');
    assert.equal(final.body.success, true);
    assert.equal(final.body.enrollment_id, s.body.session_id);

    const status = example('GET', '/api/auth/session/{session_token}/status/');
    const st = await replay(status, { sessionToken: token });
    conforms(status, 'Response', st, 200);
    assert.equal(st.body.session_type, 'enrollment');
  });

  it('authentication: the enrolled face is authenticated (success), a client with an empty gallery finds no match (failure)', async () => {
    const start = example('POST', '/api/auth/authentication/');
    const frame = example('POST', '/api/auth/authentication/process-frame/');
    const s = await replay(start);
    conforms(start, 'Response', s, 201);
    const ok = (await runClip(frame, String(s.body.session_token))).at(-1)!;
    conforms(frame, 'Success Response', ok, 200);
    assert.equal(ok.body.authenticated, true, JSON.stringify(ok.body));
    assert.equal(ok.body.user_id, start.body!.user_id);

    const other = await fixture.node.service.tenants.createClient('Empty Gallery');
    const otherJwt = String((await send('POST', '/api/auth/client/', { json: { api_key: other.apiKey } })).body.jwt_token);
    const { user_id: _verify, ...identify } = start.body!;
    const s2 = await send('POST', start.path, { token: otherJwt, json: identify });
    assert.equal(s2.status, 201, JSON.stringify(s2.body));
    const fail = (await runClip(frame, String(s2.body.session_token))).at(-1)!;
    conforms(frame, 'Failure Response', fail, 200);
    assert.equal(fail.body.authenticated, false);
    assert.equal(fail.body.reason, 'no_match_found');
  });

  it('cancel a session (DELETE /api/auth/session/{session_token}/)', async () => {
    const s = await send('POST', '/api/auth/authentication/', { token: jwt, json: {} });
    const cancel = example('DELETE', '/api/auth/session/{session_token}/');
    const a = await replay(cancel, { sessionToken: String(s.body.session_token) });
    conforms(cancel, 'Response', a, 200);
    assert.equal(a.body.success, true);
  });

  it('the profile shows the face enrolled and authenticated; the enrollments list is paginated', async () => {
    const profile = example('GET', '/api/auth/profile/');
    // The account's own face: enroll its id (the documented user_id of an account) through the service.
    const p0 = await replay(profile);
    assert.equal(p0.status, 200, JSON.stringify(p0.body));
    const accountId = String(p0.body.id);
    const s = await send('POST', '/api/auth/enrollment/', { token: jwt, json: { user_id: accountId } });
    await runClip(example('POST', '/api/auth/enrollment/process-frame/'), String(s.body.session_token));
    // ... and a face login of the account, so that last_authentication has a value.
    const login = await send('POST', '/api/auth/authentication/', { token: jwt, json: { user_id: accountId } });
    const verdict = (await runClip(example('POST', '/api/auth/authentication/process-frame/'), String(login.body.session_token))).at(-1)!;
    assert.equal(verdict.body.authenticated, true, JSON.stringify(verdict.body));
    const p = await replay(profile);
    conforms(profile, 'Response', p, 200);
    assert.equal(p.body.face_enrolled, true);

    const list = example('GET', '/api/auth/enrollments/?page=1&page_size=20');
    conforms(list, 'Response', await replay(list), 200);
    const small = await send('GET', '/api/auth/enrollments/?page=1&page_size=1', { token: jwt });
    assert.equal(small.body.count, 2);
    assert.deepEqual(conformance(list.responses[0]!.body, small.body), []);
    assert.equal(typeof small.body.next, 'string');
    const second = await send('GET', new URL(String(small.body.next)).pathname + new URL(String(small.body.next)).search, { token: jwt });
    assert.equal(typeof second.body.previous, 'string');
    assert.equal(second.body.next, null);
    assert.notDeepEqual(second.body.results, small.body.results);
  });

  it('analytics: authentication metrics with start_date, end_date, client_id; system metrics', async () => {
    const metrics = example('GET', '/api/analytics/authentication-metrics/');
    const today = new Date().toISOString().slice(0, 10);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    const a = await replay(metrics, { query: { start_date: weekAgo, end_date: today, client_id: clientId } });
    conforms(metrics, 'Response', a, 200);
    const attempts = Number(a.body.total_attempts);
    assert.ok(attempts >= 1, JSON.stringify(a.body));
    assert.equal(a.body.success_rate, Math.round((Number(a.body.successful_authentications) / attempts) * 10_000) / 100);
    const byDate = a.body.by_date as { date: string; attempts: number }[];
    assert.deepEqual(byDate.map((d) => [d.date, d.attempts]), [[today, attempts]]);
    // The documented range as written (2025) holds none of today's attempts.
    const documentedRange = await replay(metrics, { query: { client_id: clientId } });
    assert.equal(documentedRange.status, 200);
    assert.equal(documentedRange.body.total_attempts, 0);
    const system = example('GET', '/api/analytics/system-metrics/');
    const sm = await replay(system);
    conforms(system, 'Response', sm, 200);
    assert.equal(sm.body.total_users, 2);
  });

  it('GET /health/ has the documented shape', async () => {
    const h = await send('GET', '/health/');
    assert.equal(h.status, 200);
    assert.deepEqual(conformance(DOC.health, h.body), []);
    assert.equal(h.body.status, 'healthy');
    const services = h.body.services as Record<string, string>;
    assert.equal(services.database, 'up');
  });

  it('the documented error body and codes', async () => {
    const causes: Readonly<Record<string, () => Promise<Answer>>> = {
      invalid_request: () => send('POST', '/api/auth/enrollment/', { token: jwt, raw: '{"user_id": ' }),
      unauthorized: () => send('POST', '/api/auth/enrollment/', { json: { user_id: 'x' } }),
      forbidden: () => send('GET', `/api/analytics/authentication-metrics/?client_id=someone-else`, { token: jwt }),
      not_found: () => send('GET', '/api/auth/session/no-such-session/status/', { token: jwt }),
      conflict: async () => {
        const s = await send('POST', '/api/auth/authentication/', { token: jwt, json: {} });
        await send('DELETE', `/api/auth/session/${String(s.body.session_token)}/`, { token: jwt });
        return send('POST', '/api/auth/authentication/process-frame/', { json: { session_token: s.body.session_token, frame_data: frames[0]!.dataUrl } });
      },
      validation_error: () => send('POST', '/api/auth/enrollment/', { token: jwt, json: { user_id: 'not a valid id!' } }),
      rate_limit_exceeded: async () => {
        // A client of its own spends its key's budget (embedded default), bounded by it.
        const c = await fixture.node.service.tenants.createClient('Busy Client');
        const t = String((await send('POST', '/api/auth/client/', { json: { api_key: c.apiKey } })).body.jwt_token);
        for (let i = 0; i <= fixture.node.config.service.rateLimitPerKey; i++) {
          const a = await send('GET', '/api/auth/enrollments/', { token: t });
          if (a.status === 429) return a;
        }
        assert.fail('the key budget was never spent');
      },
    };
    for (const [status, code] of DOC.errorCodes) {
      const cause = causes[code];
      // internal_error and service_unavailable need a failing server; outage.test.ts covers 503.
      if (cause === undefined) {
        assert.ok(status >= 500, `no cause for documented ${status} ${code}`);
        continue;
      }
      const a = await cause();
      assert.equal(a.status, status, `${code}: ${JSON.stringify(a.body)}`);
      assert.equal(a.body.error, code);
      assert.deepEqual(conformance(DOC.errorBody, a.body), [], `${code}: ${JSON.stringify(a.body)}`);
    }
  });

  it('every documented request example was replayed', () => {
    assert.deepEqual([...replayed].sort(), DOC.requests.map((r) => `${r.method} ${r.path}`).sort());
  });
});

describe('the conformance check itself', () => {
  it('fails when a documented field is dropped or changes type', () => {
    const ex = { success: true, confidence: 0.9, by_date: [{ date: '2025-11-25', attempts: 1 }], at: '2025-11-25T10:00:00Z' };
    assert.deepEqual(conformance(ex, { ...ex }), []);
    const { confidence: _c, ...dropped } = ex;
    assert.deepEqual(conformance(ex, dropped), ['confidence: missing']);
    assert.equal(conformance(ex, { ...ex, success: 'yes' }).length, 1);
    assert.equal(conformance(ex, { ...ex, by_date: [{ date: '25/11/2025', attempts: 1 }] }).length, 1);
    assert.equal(conformance(ex, { ...ex, by_date: [{ date: '2025-11-25' }] }).length, 1);
    assert.equal(conformance(ex, { ...ex, at: 'yesterday' }).length, 1);
    assert.equal(conformance(ex, { ...ex, by_date: [] }).length, 1);
  });
});
