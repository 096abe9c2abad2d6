// Runs recorded observations through LivenessEngine sessions with a fixed
// challenge schedule, on a ManualClock driven by the frames' capture times.
// Shared by scripts/eval/liveness.ts and the tests so both measure the same path.
import type { PlannedChallenge } from '../../../src/engine/challengePlan.ts';
import { InMemoryGallery } from '../../../src/engine/InMemoryGallery.ts';
import { LivenessEngine } from '../../../src/engine/LivenessEngine.ts';
import type { SessionOptions } from '../../../src/engine/options.ts';
import { ManualClock } from '../../../src/engine/ManualClock.ts';
import { restrictObservation } from '../../../src/engine/observe.ts';
import type { ObservationTape } from './ObservationTape.ts';
import type { Decision, EngineMessage, EngineMode } from '../../../src/engine/types.ts';

/** Schedules a recording can contain (it cannot answer random prompts). */
const BLINK: readonly PlannedChallenge[] = Object.freeze([{ kind: 'blink', delayMs: 0, windowMs: 30_000 }]);
const TURN: readonly PlannedChallenge[] = Object.freeze([{ kind: 'turn_any', delayMs: 0, windowMs: 30_000 }]);
export const CLIP_SCHEDULES: Readonly<Record<'blink' | 'turn', readonly PlannedChallenge[]>> = Object.freeze({ blink: BLINK, turn: TURN });

export interface ClipRunOptions {
  readonly session?: Partial<SessionOptions>;
  readonly kind?: EngineMode;
  readonly subjectId?: string;
  /** Matched against, and committed to on a succeeded enrollment (the engine never writes it). */
  readonly gallery?: InMemoryGallery;
  /** The no-gesture path (SessionInit.noGesture) instead of the schedule: no challenge, live semantics, at best step_up_required. */
  readonly noGesture?: boolean;
}

export interface ClipRun {
  readonly decision: Decision;
  readonly messages: readonly EngineMessage[];
}

/**
 * One session over the tape with `schedule`; the session fails when the tape
 * ends first. A recording that ends undecided is judged on what it showed: the
 * session runs again with every challenge window ending with the recording, so
 * it fails on the unanswered challenge, not as a camera that stopped (which
 * the gate's timeout would report as no_face).
 */
export async function runTape(tape: ObservationTape, schedule: readonly PlannedChallenge[], options: ClipRunOptions = {}): Promise<ClipRun> {
  const first = await runOnce(tape, schedule, options);
  if (!first.endedUndecided || first.lastT === null) return first.run;
  const last = first.lastT;
  const capped = schedule.map((s) => ({ ...s, windowMs: Math.min(s.windowMs, last + 100) }));
  return (await runOnce(tape, capped, options)).run;
}

async function runOnce(
  tape: ObservationTape,
  schedule: readonly PlannedChallenge[],
  options: ClipRunOptions,
): Promise<{ run: ClipRun; endedUndecided: boolean; lastT: number | null }> {
  const clock = new ManualClock(0);
  const gallery = options.gallery ?? new InMemoryGallery();
  const engine = new LivenessEngine({
    gallery,
    clock,
    session: { ...options.session },
  });
  const messages: EngineMessage[] = [];
  let decision: Decision | undefined;
  const sink = {
    send(m: EngineMessage): void {
      messages.push(m);
      if (m.type === 'result') decision = m.decision;
    },
  };
  try {
    const kind = options.kind ?? 'enrollment';
    const rec = await engine.create({
      kind,
      ...(kind !== 'identification' ? { subjectId: options.subjectId ?? 'clip-subject' } : {}),
      sink,
      ...(options.noGesture ? { noGesture: true } : { fixedSchedule: schedule }),
    });
    await engine.connect(rec.id);
    let last: number | null = null;
    for await (const frame of tape.replayFrames()) {
      // As pushFrame does: the detector's analysis of this frame where the session does not follow the face now.
      const obs = frame.detected !== undefined && !engine.followsFace(rec.id) ? frame.detected : frame.observation;
      clock.set(obs.t);
      last = obs.t;
      // Replayed as the live path analyses it: only the stages the session asks for on this frame.
      await engine.pushObservation(rec.id, restrictObservation(obs, engine.wantedStages(rec.id, obs.t)));
      if (decision) break;
    }
    const endedUndecided = !decision;
    // The recording ended: let deadlines pass as they would with a silent camera.
    if (!decision) clock.set((last ?? 0) + Math.max(...schedule.map((s) => s.windowMs), 0) + 10_000);
    if (!decision) await engine.cancel(rec.id);
    // The caller's commit, as the service makes it once the verdict is in.
    if (decision) await gallery.commit(decision);
    return { run: { decision: decision!, messages }, endedUndecided, lastT: last };
  } finally {
    await engine.close();
  }
}
