// Colour-flash schedules for pages on the SDK. A colour-flash prompt carries
// a random colour sequence; the page must paint it full-screen, each colour
// from startMs after the prompt arrived, because the server times the face's
// reflected colour from the moment the prompt left (plus half the measured
// round trip). Painting late or from another clock fails the challenge.
import type { ServerMessage } from '../../common/protocol/dataChannel.ts';

type PromptMessage = Extract<ServerMessage, { type: 'prompt' }>;
export type FlashStep = NonNullable<PromptMessage['colors']>[number];

export interface FlashSchedule {
  /** The prompt that carried the colours. */
  readonly promptId: string;
  /** performance.now() when the prompt arrived: step k paints over [receivedAt + startMs, + durationMs). */
  readonly receivedAt: number;
  readonly colors: readonly FlashStep[];
  /** performance.now() after which nothing is painted. */
  readonly endsAt: number;
}

/** The schedule a prompt asks for, or undefined when it carries no colours. */
export function flashScheduleOf(prompt: PromptMessage, receivedAt: number): FlashSchedule | undefined {
  const colors = prompt.colors;
  if (colors === undefined || colors.length === 0) return undefined;
  const end = colors.reduce((m, c) => Math.max(m, c.startMs + c.durationMs), 0);
  return { promptId: prompt.id, receivedAt, colors, endsAt: receivedAt + end };
}

/** The colour to show at `now` (performance.now()), or null between and after the steps. */
export function flashColorAt(schedule: FlashSchedule, now: number): readonly [number, number, number] | null {
  const rel = now - schedule.receivedAt;
  for (const c of schedule.colors) if (rel >= c.startMs && rel < c.startMs + c.durationMs) return c.rgb;
  return null;
}
