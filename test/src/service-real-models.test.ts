// The REST frame path with the real face models (models/FaceAnalyzer) on
// photos from ../shared/faces: enroll one person from several photos, then
// identify and verify with a photo not used for enrollment; another person
// does not match.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FaceAnalyzer } from '../../models/FaceAnalyzer.ts';
import { BACKENDS, call, newClient, startService, type Running } from './fixtures.ts';

const FACES = path.resolve(import.meta.dirname, '../../../shared/faces');
const HAVE_FACES = fs.existsSync(path.join(FACES, 'Angelina_Jolie'));

function photos(person: string): string[] {
  return fs
    .readdirSync(path.join(FACES, person))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => {
      const bytes = fs.readFileSync(path.join(FACES, person, f));
      return `data:image/${f.toLowerCase().endsWith('png') ? 'png' : 'jpeg'};base64,${bytes.toString('base64')}`;
    });
}

describe('REST frames with the real FaceAnalyzer', { skip: HAVE_FACES ? false : '../shared/faces not present' }, () => {
  let run: Running;
  let analyzer: FaceAnalyzer;
  let token: string;
  before(async () => {
    analyzer = await FaceAnalyzer.create();
    run = await startService(BACKENDS[0]!, { service: { analyzer } });
    token = (await newClient(run)).token;
  });
  after(async () => {
    await run?.close();
    await analyzer?.close();
  });

  /** Submits photos until the session decides; returns the final reply and the photos left over. */
  async function drive(kind: 'enrollment' | 'authentication', body: Record<string, string>, imgs: string[]) {
    const s = await call(run.url, 'POST', `/api/auth/${kind}`, { token, json: body });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    let i = 0;
    for (; i < imgs.length; i++) {
      const r = await call(run.url, 'POST', `/api/auth/${kind}/process-frame`, { json: { session_token: s.body.session_token, image: imgs[i] } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (r.body.status === 'succeeded' || r.body.status === 'failed') return { reply: r, rest: imgs.slice(i + 1) };
    }
    assert.fail(`${kind} did not decide with ${imgs.length} photos`);
  }

  test('enrolls Angelina_Jolie, identifies and verifies her from an unseen photo, and rejects Katy_Perry', async () => {
    const angelina = photos('Angelina_Jolie');
    const { reply, rest } = await drive('enrollment', { external_user_id: 'angelina' }, angelina);
    assert.equal(reply.body.status, 'succeeded', JSON.stringify(reply.body.decision));
    assert.ok(rest.length > 0, 'a photo must remain for authentication');

    const id = await drive('authentication', {}, rest);
    assert.equal(id.reply.body.status, 'succeeded', JSON.stringify(id.reply.body.decision));
    assert.equal((id.reply.body.decision as Record<string, unknown>).external_user_id, 'angelina');

    const ver = await drive('authentication', { external_user_id: 'angelina' }, rest);
    assert.equal(ver.reply.body.status, 'succeeded');

    const katy = await drive('authentication', {}, photos('Katy_Perry'));
    assert.equal(katy.reply.body.status, 'failed');
    const d = katy.reply.body.decision as Record<string, unknown>;
    assert.equal(d.reason, 'no_match');
    assert.ok(Number(d.similarity) < 0.45, `impostor similarity ${String(d.similarity)}`);
  });
});
