// peer_binding: the session is bound to the DTLS fingerprint of the peer
// that connected first (media/InjectionProbe.ts refuses any other with
// peer_mismatch). Here it is a signal: a refused connect means someone else
// held the session token and tried to attach a peer to this session.
import type { InjectionScorer } from './types.ts';
import { notScored } from './types.ts';

export const peerBindingSignal: InjectionScorer = {
  name: 'peer_binding',
  score(facts) {
    const p = facts.peer;
    if (p.fingerprint === null) return notScored();
    const values = { fingerprint: p.fingerprint.slice(0, 40), transportsConnected: p.transportsConnected, refused: p.refused };
    return p.refused > 0 ? { evaluated: true, score: 1, why: 'other_peer_refused', values } : { evaluated: true, score: 0, why: null, values };
  },
};
