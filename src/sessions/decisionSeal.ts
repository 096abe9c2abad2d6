// The decision's seal as every wire shows it (REST decision, data-channel
// result data, WebSocket result): the signed verdict token and, after a face
// login, the account's tokens. One mapping, so the paths never drift.
import type { DecisionSeal } from '../../common/session.ts';

// A type alias (not an interface), so it passes as the data channel's Record<string, unknown> data.
export type DecisionSealWire = {
  readonly verdict_token: string | null;
  readonly tokens?: { readonly access: string; readonly refresh: string; readonly token_type: 'Bearer'; readonly expires_in: number; readonly user_id: string };
};

export function decisionSealWire(d: DecisionSeal): DecisionSealWire {
  const f = d.faceLogin;
  return {
    verdict_token: d.verdictToken ?? null,
    ...(f ? { tokens: { access: f.access, refresh: f.refresh, token_type: 'Bearer' as const, expires_in: f.expiresIn, user_id: f.userId } } : {}),
  };
}
