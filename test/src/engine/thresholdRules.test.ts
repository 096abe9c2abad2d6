import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FUSION_OPTIONS } from '../../../src/engine/fusion.ts';
import { DEFAULT_SESSION_OPTIONS } from '../../../src/engine/options.ts';
import { ObservationTape } from '../../../scripts/eval/lib/ObservationTape.ts';
import {
  clipCueStats,
  cueDecisionPoint,
  fusionFromGenuine,
  passiveVouchFromGenuine,
  staticDiffFromGenuine,
  type ClipCueStats,
  type CueName,
} from '../../../scripts/eval/lib/thresholdRules.ts';
import { obs } from './fixtures.ts';

const cues = (v: Partial<Record<CueName, number>>): Record<CueName, number> => ({ hfRatio: 0.3, edgeFrame: 0, glare: 0, blueCast: -0.1, ...v });
const clip = (max: Partial<Record<CueName, number>>, stillWindowMin = 1, passiveMin = 0): ClipCueStats => ({
  runningMax: cues(max),
  runningMin: cues(max),
  stillWindowMin,
  stillWindowMax: stillWindowMin * 4,
  passiveMin,
  frames: 100,
});

describe('threshold rules', () => {
  it('fusionFromGenuine() on the genuine maxima of ../shared/video gives the product defaults (within 0.005)', () => {
    // Highest running medians and lowest passive running medians of the 16 genuine clips
    // (eval:liveness --margins): three clips whose room lines raise edgeFrame, with live faces.
    const genuine = [
      clip({ edgeFrame: 0.174 }, 1, 0.1),
      clip({ glare: 0.021 }, 1, 0.9),
      clip({ blueCast: -0.042 }, 1, 0.9),
      clip({ edgeFrame: 0.139, glare: 0.019 }, 1, 0.02),
      clip({ edgeFrame: 0.982 }, 1, 1.0),
      clip({ edgeFrame: 0.45 }, 1, 0.971),
      clip({ edgeFrame: 0.41 }, 1, 0.921),
    ];
    const f = fusionFromGenuine(genuine);
    for (const k of ['edgeFrame', 'glare', 'blueCast'] as const) {
      assert.ok(Math.abs(cueDecisionPoint(f, k) - cueDecisionPoint(DEFAULT_FUSION_OPTIONS, k)) <= 0.005, `${k}: ${cueDecisionPoint(f, k)}`);
    }
    assert.ok(Math.abs(f.passiveVouch - DEFAULT_FUSION_OPTIONS.passiveVouch) <= 0.005, `passiveVouch ${f.passiveVouch}`);
    assert.equal(f.cues.hfRatio.weight, 0, 'weights are kept');
  });

  it('passiveVouchFromGenuine() halves the lowest passive median of the genuine clips the edge cue alone would reject', () => {
    assert.equal(passiveVouchFromGenuine([clip({ edgeFrame: 0.9 }, 1, 0.8), clip({ edgeFrame: 0.5 }, 1, 0.6), clip({ edgeFrame: 0.1 }, 1, 0.01)]), 0.3);
    assert.equal(passiveVouchFromGenuine([clip({ edgeFrame: 0.1 }, 1, 0.9)]), Number.POSITIVE_INFINITY, 'nothing to vouch for: the cue always counts');
    // The vouched clips do not widen the edge ramp: it is derived from the clip the cue still judges.
    const f = fusionFromGenuine([clip({ edgeFrame: 0.9 }, 1, 0.8), clip({ edgeFrame: 0.1 }, 1, 0.01)]);
    assert.ok(Math.abs(cueDecisionPoint(f, 'edgeFrame') - 0.23) < 1e-9);
  });

  it('fusionFromGenuine() keeps every decision point above the genuine maximum by the factor or the floor', () => {
    const f = fusionFromGenuine([clip({ edgeFrame: 0.3, glare: 0.001, blueCast: 0.02 })]);
    assert.ok(Math.abs(cueDecisionPoint(f, 'edgeFrame') - 0.69) < 1e-9);
    assert.ok(Math.abs(cueDecisionPoint(f, 'glare') - 0.021) < 1e-9, 'floor 0.02 above a near-zero maximum');
    assert.ok(Math.abs(cueDecisionPoint(f, 'blueCast') - 0.12) < 1e-9);
    assert.throws(() => fusionFromGenuine([]), TypeError);
  });

  it('staticDiffFromGenuine() halves the lowest genuine window median', () => {
    assert.equal(staticDiffFromGenuine([clip({}, 0.32), clip({}, 0.6)]), 0.16);
    assert.throws(() => staticDiffFromGenuine([clip({}, Number.POSITIVE_INFINITY)]), TypeError);
  });

  it('clipCueStats() reports running-median extremes from the minimum evidence on and still-window medians', async () => {
    const items = Array.from({ length: 30 }, (_, i) =>
      obs(i * 100, { artefacts: { edgeFrame: i < 15 ? 0.1 : 0.5, cellDiff: i < 10 ? 0 : 2 } }),
    );
    const s = await clipCueStats(ObservationTape.fromArray(items), DEFAULT_SESSION_OPTIONS.minEvidenceFrames, DEFAULT_SESSION_OPTIONS.staticFrames);
    assert.equal(s.frames, 30);
    assert.equal(s.runningMin.edgeFrame, 0.1);
    assert.ok(Math.abs(s.runningMax.edgeFrame - 0.3) < 1e-9, 'the median of 15 low and 15 high frames');
    assert.equal(s.stillWindowMin, 0);
    assert.equal(s.stillWindowMax, 2);
  });
});
