// Face login with the real face models (models/FaceAnalyzer) on photos from
// ../shared/faces: an account enrolls its face under its user id through the
// REST enrollment session; a REST authentication session with an unseen photo
// of the same person returns that account's access + refresh tokens, and its
// verdict token verifies against the JWKS fetched over HTTP. Another person
// gets a failed verdict and no tokens.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import { BACKENDS, call, newClient, startService, type Running } from '../fixtures.ts';

const FACES = path.resolve(import.meta.dirname, '../../../../shared/faces');
const HAVE_FACES = fs.existsSync(path.join(FACES, 'Angelina_Jolie')) && fs.existsSync(path.join(FACES, 'Katy_Perry'));

function photos(person: string): string[] {
  return fs
    .readdirSync(path.join(FACES, person))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => `data:image/${f.toLowerCase().endsWith('png') ? 'png' : 'jpeg'};base64,${fs.readFileSync(path.join(FACES, person, f)).toString('base64')}`);
}

describe('face login with the real FaceAnalyzer', { skip: HAVE_FACES ? false : '../shared/faces not present' }, () => {
  let run: Running;
  let analyzer: FaceAnalyzer;
  let client: { clientId: string; apiKey: string; token: string };
  before(async () => {
    analyzer = await FaceAnalyzer.create();
    run = await startService(BACKENDS[0]!, { service: { analyzer } });
    client = await newClient(run);
  });
  after(async () => {
    await run?.close();
    await analyzer?.close();
  });

  /** Submits photos until the session decides; returns the final reply and the photos left over. */
  async function drive(kind: 'enrollment' | 'authentication', body: Record<string, string>, imgs: string[]) {
    const s = await call(run.url, 'POST', `/api/auth/${kind}/`, { token: client.token, json: body });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    for (let i = 0; i < imgs.length; i++) {
      const r = await call(run.url, 'POST', `/api/auth/${kind}/process-frame/`, { json: { session_token: s.body.session_token, image: imgs[i] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.status === 'succeeded' || r.body.status === 'failed') return { reply: r, rest: imgs.slice(i + 1) };
    }
    return assert.fail(`${kind} did not decide with ${imgs.length} photos`);
  }

  test("an account enrolled with Angelina_Jolie's face logs in with an unseen photo of her; Katy_Perry gets no tokens", async () => {
    const reg = await call(run.url, 'POST', '/api/auth/register/', { token: client.token, json: { email: 'angelina@example.com', password: 'Long-enough-passw0rd', full_name: 'Angelina' } });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const userId = String(reg.body.user_id);

    const { reply, rest } = await drive('enrollment', { external_user_id: userId }, photos('Angelina_Jolie'));
    assert.equal(reply.body.status, 'succeeded', JSON.stringify(reply.body.decision));
    assert.ok(rest.length > 0, 'a photo must remain for authentication');

    const login = await drive('authentication', {}, rest);
    assert.equal(login.reply.body.status, 'succeeded', JSON.stringify(login.reply.body.decision));
    const decision = login.reply.body.decision as Record<string, unknown>;
    const tokens = decision.tokens as Record<string, unknown> | undefined;
    assert.equal(tokens?.user_id, userId);
    const profile = await call(run.url, 'GET', '/api/auth/profile/', { token: String(tokens!.access) });
    assert.equal(profile.status, 200);
    assert.equal(profile.body.id, userId);
    assert.equal(profile.body.face_enrolled, true);
    assert.equal(profile.body.authentication_count, 1);

    const keys = createRemoteJWKSet(new URL('/.well-known/jwks.json', run.url));
    const { payload } = await jwtVerify(String(decision.verdict_token), keys, { issuer: 'facegate', audience: client.clientId, algorithms: ['ES256'] });
    assert.equal(payload.sub, userId);
    assert.equal(payload.outcome, 'succeeded');

    const other = await drive('authentication', {}, photos('Katy_Perry'));
    assert.equal(other.reply.body.status, 'failed');
    const otherDecision = other.reply.body.decision as Record<string, unknown>;
    assert.equal(otherDecision.tokens, undefined);
    const v = await jwtVerify(String(otherDecision.verdict_token), keys, { audience: client.clientId });
    assert.equal(v.payload.outcome, 'failed');
  });
});
