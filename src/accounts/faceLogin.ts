// The decision sealer (SessionService's DecisionSealer): every verdict gets a
// signed verdict token; a succeeded authentication that matched an end-user
// account also gets that account's access + refresh tokens (face login). The
// seal is part of the decision the service writes, so every path that shows
// the decision (REST status and process-frame, WebSocket, data channel) shows it.
import type { Logger } from 'pino';
import type { DecisionSeal, SessionRecord, SessionVerdict } from '../../common/session.ts';
import type { VerdictSigner } from '../auth/VerdictSigner.ts';
import type { DecisionSealer } from '../sessions/SessionService.ts';
import type { AccountService } from './AccountService.ts';

export function decisionSealer(deps: { readonly signer: VerdictSigner; readonly accounts: AccountService; readonly log: Logger }): DecisionSealer {
  return async (s: SessionRecord, v: SessionVerdict): Promise<DecisionSeal> => {
    const externalUserId = v.externalUserId ?? s.externalUserId;
    const verdictToken = await deps.signer.sign({ sessionId: s.id, clientId: s.clientId, kind: s.kind, externalUserId }, v);
    if (s.kind !== 'authentication' || v.outcome !== 'succeeded' || v.externalUserId === null) return { verdictToken };
    try {
      const t = await deps.accounts.faceLogin(s.clientId, v.externalUserId);
      return t === null ? { verdictToken } : { verdictToken, faceLogin: { access: t.access, refresh: t.refresh, expiresIn: t.expiresIn, userId: t.accountId } };
    } catch (err) {
      deps.log.warn({ err, sessionId: s.id }, 'face login: could not issue account tokens');
      return { verdictToken };
    }
  };
}
