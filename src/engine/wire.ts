// How engine messages leave the server. The page never receives embeddings or
// templates: toClientMessage() keeps prompts, progress and a result with the
// outcome, reason, match and per-signal scores only. Its output is the
// data-channel protocol's own type (common/protocol/dataChannel.ts), so a
// change on either side fails to compile here.
import type { LivenessMessage } from '../../common/protocol/dataChannel.ts';
import { challengeFor } from './challenges/index.ts';
import type { Decision, EngineMessage, PromptCode } from './types.ts';

const PROMPT_TEXT: Record<PromptCode, string> = {
  look_at_camera: 'Look at the camera',
  one_face_only: 'Only one face should be in view',
  move_closer: 'Move closer',
  center_face: 'Centre your face in the oval',
  more_light: 'Find better light',
  hold_still: 'Hold still',
  face_forward: 'Face the camera',
  uncover_face: 'Uncover your face',
};

/** The decision without biometric data: safe to show the user or log. */
export function publicDecision(d: Decision): Record<string, unknown> {
  const scores: Record<string, number> = {};
  for (const [name, s] of Object.entries(d.signals)) if (s.evaluated && Number.isFinite(s.score)) scores[name] = s.score;
  return {
    sessionId: d.sessionId,
    kind: d.kind,
    outcome: d.outcome,
    reason: d.reason ?? null,
    match: d.match,
    spoofScore: d.spoofScore,
    scores,
    firstFrameToVerdictMs: d.timings.firstFrameToVerdictMs,
  };
}

/** Maps an engine message to what the page gets, or null for internal ones (state changes). */
export function toClientMessage(m: EngineMessage): LivenessMessage | null {
  switch (m.type) {
    case 'state':
      return null;
    case 'prompt':
      return { type: 'prompt', id: `gate:${m.gate}`, action: m.prompt, text: PROMPT_TEXT[m.prompt] };
    case 'challenge':
      return {
        type: 'prompt',
        id: m.challenge.id.slice(-64),
        action: m.challenge.kind,
        text: challengeFor(m.challenge.kind).prompt(m.challenge.kind, m.challenge.count),
        timeoutMs: Math.max(1, Math.round(m.challenge.deadline - m.challenge.issuedAt)),
        ...(m.challenge.colors
          ? {
              colors: m.challenge.colors.map((c) => ({
                rgb: [Math.round(c.rgb[0]), Math.round(c.rgb[1]), Math.round(c.rgb[2])] as [number, number, number],
                startMs: Math.round(c.startMs),
                durationMs: Math.max(1, Math.round(c.durationMs)),
              })),
            }
          : {}),
      };
    case 'progress':
      return { type: 'progress', value: m.of > 0 ? Math.min(1, m.challengesPassed / m.of) : 0, label: `${m.challengesPassed}/${m.of} challenges` };
    case 'result': {
      const d = m.decision;
      return {
        type: 'result',
        outcome: d.outcome === 'succeeded' ? 'pass' : 'fail',
        ...(d.reason ? { reason: d.reason } : {}),
        data: publicDecision(d),
      };
    }
  }
}
