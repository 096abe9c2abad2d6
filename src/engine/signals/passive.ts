// Passive anti-spoof, aggregated over many frames. One frame's score is
// noise; the session reports the median and the lower quartile. On recorded
// clips the model does not separate replays from genuine webcams (see
// models/README.md), so fusion.ts gives it weight only at extremes.
import { quantile } from '../../../common/vector.ts';

export interface PassiveAggregate {
  readonly frames: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

export function aggregatePassive(liveProbabilities: readonly number[]): PassiveAggregate {
  return {
    frames: liveProbabilities.length,
    median: quantile(liveProbabilities, 0.5),
    p25: quantile(liveProbabilities, 0.25),
    p75: quantile(liveProbabilities, 0.75),
  };
}
