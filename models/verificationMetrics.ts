// Verification accuracy from genuine and impostor similarity scores: EER by
// threshold sweep, TAR at a target FAR, and FAR/FRR at a given threshold.
// Accept means score >= threshold. Shared by eval:verify and the tests so the
// numbers they print are computed one way.

export interface RateAt {
  readonly threshold: number;
  /** Impostor pairs accepted / impostor pairs. */
  readonly far: number;
  /** Genuine pairs refused / genuine pairs. */
  readonly frr: number;
}

export interface VerificationMetrics {
  readonly genuinePairs: number;
  readonly impostorPairs: number;
  /** (FAR + FRR) / 2 at the first threshold, going down, where FAR >= FRR. */
  readonly eer: number;
  readonly eerThreshold: number;
  /** Highest genuine accept rate with FAR <= target (0 when no threshold reaches it). */
  readonly tarAtFar: Readonly<Record<'1e-2' | '1e-3', number>>;
  readonly atThreshold: RateAt;
}

export function rateAt(genuine: readonly number[], impostor: readonly number[], threshold: number): RateAt {
  let fa = 0;
  for (const s of impostor) if (s >= threshold) fa++;
  let fr = 0;
  for (const s of genuine) if (s < threshold) fr++;
  return {
    threshold,
    far: impostor.length ? fa / impostor.length : 0,
    frr: genuine.length ? fr / genuine.length : 0,
  };
}

export function verificationMetrics(
  genuine: readonly number[],
  impostor: readonly number[],
  threshold: number,
): VerificationMetrics {
  if (genuine.length === 0 || impostor.length === 0) {
    throw new RangeError('need at least one genuine and one impostor pair');
  }
  const all = [
    ...genuine.map((s) => ({ s, g: true })),
    ...impostor.map((s) => ({ s, g: false })),
  ].sort((a, b) => b.s - a.s);
  let tp = 0;
  let fp = 0;
  let eer = NaN;
  let eerThreshold = NaN;
  const tar = { '1e-2': 0, '1e-3': 0 };
  for (let i = 0; i < all.length; i++) {
    if (all[i]!.g) tp++;
    else fp++;
    // Evaluate only at the end of a run of equal scores.
    if (i + 1 < all.length && all[i + 1]!.s === all[i]!.s) continue;
    const tpr = tp / genuine.length;
    const fpr = fp / impostor.length;
    if (fpr <= 1e-2) tar['1e-2'] = Math.max(tar['1e-2'], tpr);
    if (fpr <= 1e-3) tar['1e-3'] = Math.max(tar['1e-3'], tpr);
    if (Number.isNaN(eer) && fpr >= 1 - tpr) {
      eer = (fpr + (1 - tpr)) / 2;
      eerThreshold = all[i]!.s;
    }
  }
  return {
    genuinePairs: genuine.length,
    impostorPairs: impostor.length,
    eer,
    eerThreshold,
    tarAtFar: tar,
    atThreshold: rateAt(genuine, impostor, threshold),
  };
}
