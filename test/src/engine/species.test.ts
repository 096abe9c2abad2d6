// eval:liveness reports APCER per attack species (ISO/IEC 30107-3): the species
// each clip belongs to and the per-species table.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bySpecies, speciesOf, type ClipResult } from '../../../scripts/eval/lib/clipEval.ts';

const row = (category: string, description = '') => ({ category, description });

describe('eval species', () => {
  it('speciesOf() takes a named category, else a species folder, else the category refined by the description', () => {
    assert.equal(speciesOf('attack', 'attack', row('attack-photo-moving')), 'photo-moving');
    assert.equal(speciesOf('attack', 'replay-phone', undefined), 'replay-phone');
    assert.equal(speciesOf('attack', 'attack', row('attack-replay', 'the genuine video played on a PC monitor and re-filmed with a phone')), 'replay-screen');
    assert.equal(speciesOf('attack', 'attack', row('attack-replay', 'smartphone held in hand showing a (near-static) photo of the same man')), 'photo-still');
    assert.equal(speciesOf('attack', 'attack', row('attack-replay', 'Phone-screen replay: a selfie video')), 'replay-phone');
    assert.equal(speciesOf('attack', 'attack', row('attack-print', 'Printed-photo CUT-OUT attack, moved toward the camera')), 'print');
    assert.equal(speciesOf('injection', 'injection', row('attack-deepfake')), 'deepfake');
    assert.equal(speciesOf('injection', 'injection', undefined), 'injection');
    assert.equal(speciesOf('genuine', 'genuine', row('genuine-blink')), 'bona-fide');
  });

  it('bySpecies() gives APCER per species, the worst species, and the attacks a liveness signal rejected', () => {
    const clip = (name: string, label: ClipResult['label'], species: ClipResult['species'], verdict: 'accept' | 'reject', live: ClipResult['liveness']): ClipResult => ({
      name, label, species, verdict, reason: verdict === 'reject' ? 'no_face' : null, scores: {}, schedule: 'blink', timeToVerdictMs: null, runs: [], liveness: live,
    });
    const r = bySpecies([
      clip('a', 'attack', 'print', 'reject', { verdict: 'reject', reason: 'spoof_suspected', gateFiltered: true, frames: 9 }),
      clip('b', 'attack', 'print', 'reject', { verdict: 'accept', reason: null, gateFiltered: true, frames: 9 }),
      clip('c', 'attack', 'replay-phone', 'accept', { verdict: 'accept', reason: null, gateFiltered: false, frames: 9 }),
      clip('d', 'injection', 'deepfake', 'reject', { verdict: 'reject', reason: 'challenge_timeout', gateFiltered: false, frames: 9 }),
      clip('e', 'genuine', 'bona-fide', 'reject', undefined),
    ]);
    assert.deepEqual(r.apcerBySpecies, { 'replay-phone': 1, print: 0, deepfake: 0 });
    assert.equal(r.worstSpecies, 'replay-phone');
    const print = r.rows.find((x) => x.species === 'print')!;
    assert.equal(print.rejectedByLiveness, 1, 'a gate reject whose liveness rerun accepted is not a liveness reject');
    assert.equal(r.rows.find((x) => x.species === 'deepfake')!.scored, false);
  });
});
