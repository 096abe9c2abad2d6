// Which liveness session a service session runs: enrollment of its user,
// 1:1 verification when the authentication session names a user, else 1:N
// identification. Shared by the live path and the REST fallback.
import type { LiveSessionSpec } from './liveBridge.ts';
import type { SessionKind } from '../../common/session.ts';

export function liveSessionSpec(kind: SessionKind, externalUserId: string | null): LiveSessionSpec {
  if (kind === 'enrollment') return { kind: 'enrollment', subjectId: externalUserId ?? '' };
  return externalUserId !== null ? { kind: 'verification', subjectId: externalUserId } : { kind: 'identification' };
}
