// Per-frame stats (LivenessEngineOptions.onFrame) and the /metrics families
// they feed: every frame pushFrame() analyses or drops is counted, with its
// analysis time and its wait for the shared analyzer.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../../models/decodeImage.ts';
import { FaceAnalyzer } from '../../../models/FaceAnalyzer.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine, type EngineFrameStats } from '../../../src/engine/LivenessEngine.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import { Metrics } from '../../../src/metrics/Metrics.ts';
import { RecordingSink } from './fixtures.ts';

const FACES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/faces/Elon_Musk');

describe('LivenessEngine per-frame stats', { skip: existsSync(FACES) ? false : 'needs ../shared/faces' }, () => {
  it('pushFrame() reports analysed frames with their times and a frame dropped while one is analysed; Metrics exposes them', async (t) => {
    const analyzer = await FaceAnalyzer.create({});
    t.after(() => analyzer.close());
    const frame = await decodeImage(readFileSync(path.join(FACES, readdirSync(FACES).filter((f) => f.endsWith('.jpg'))[0]!)));
    const metrics = new Metrics({ collectDefault: false });
    const sinkToMetrics = metrics.engineFrameSink();
    const seen: EngineFrameStats[] = [];
    const engine = new LivenessEngine({ gallery: new InMemoryGallery(), analyzer, clock: new ManualClock(0), onFrame: (s) => (seen.push(s), sinkToMetrics(s)) });
    t.after(() => engine.close());
    const live = await engine.create({ kind: 'identification', sink: new RecordingSink() });
    const upload = await engine.create({ kind: 'identification', sink: new RecordingSink(), uploaded: true });
    // The second push of the live session arrives while its first is in analysis.
    const [first, second, third] = await Promise.all([engine.pushFrame(live.id, frame, 0), engine.pushFrame(live.id, frame, 10), engine.pushFrame(upload.id, frame, 0)]);
    assert.deepEqual([first, second, third], [true, false, true]);
    assert.deepEqual(seen.map((s) => `${s.transport}:${s.outcome}`).sort(), ['live:analysed', 'live:dropped', 'upload:analysed']);
    assert.deepEqual(seen.filter((s) => s.transport === 'live').map((s) => s.sessionId), [live.id, live.id]);
    assert.equal(seen.find((s) => s.transport === 'upload')!.sessionId, upload.id);
    const analysed = seen.filter((s) => s.outcome === 'analysed');
    assert.ok(analysed.every((s) => s.analysisMs > 0 && s.queueMs >= 0 && s.queueMs < s.analysisMs));
    // The upload was queued behind the live frame on the one analyzer.
    assert.ok(seen.find((s) => s.transport === 'upload')!.queueMs > 0);
    const text = (await metrics.render()).body;
    assert.match(text, /facegate_engine_frames_total\{transport="live",outcome="dropped"\} 1/);
    assert.match(text, /facegate_engine_frames_total\{transport="live",outcome="analysed"\} 1/);
    assert.match(text, /facegate_frame_analysis_duration_seconds_count\{transport="upload"\} 1/);
    assert.match(text, /facegate_analyzer_queue_wait_seconds_count\{transport="live"\} 1/);
  });

  it('a Metrics without engines exposes no engine families', async () => {
    const text = (await new Metrics({ collectDefault: false }).render()).body;
    assert.doesNotMatch(text, /facegate_engine_frames_total|facegate_frame_analysis_duration_seconds/);
  });
});
