// Waits until everything a werift peer connection has sent on its data
// channels has been acknowledged by the remote SCTP stack. werift 0.18 offers
// no event for that: RTCDataChannel.bufferedAmount drops as soon as a message
// is handed to the association (before it is even on the wire), so it says
// nothing about delivery. What does is the association itself: messages wait
// in the transport's dataChannelQueue, become chunks in the SCTP outbound
// queue, move to the sent queue when transmitted and leave it only when a
// SACK's cumulative TSN covers them. All three empty = all acknowledged. SACKs
// are observed through SCTP.onSackReceived (which the SCTP transport sets to
// flush its queue; we run it first, then look), so no polling is involved.
import type { Transport as PeerTransport } from 'msc-node/lib/Transport.js';
import { waitFor, type WaitResult } from './waitFor.ts';

interface SctpInternals {
  state: string;
  outboundQueue: unknown[];
  sentQueue: unknown[];
  onSackReceived: () => Promise<void>;
  stateChanged: { closed: { subscribe(f: () => void): { unSubscribe(): void } } };
}

interface SctpTransportInternals {
  sctp?: SctpInternals;
  dataChannelQueue: unknown[];
}

const sackListeners = new WeakMap<SctpInternals, Set<() => void>>();

/** Calls `listener` after each SACK has been processed (and the queue flushed); returns the unsubscribe. */
function onSack(sctp: SctpInternals, listener: () => void): () => void {
  let listeners = sackListeners.get(sctp);
  if (listeners === undefined) {
    const set = new Set<() => void>();
    listeners = set;
    sackListeners.set(sctp, set);
    const flush = sctp.onSackReceived;
    sctp.onSackReceived = async function sackReceived(this: SctpInternals): Promise<void> {
      await flush.call(this);
      for (const l of [...set]) l();
    };
  }
  listeners.add(listener);
  const own = listeners;
  return () => void own.delete(listener);
}

function sctpTransportOf(transport: PeerTransport): SctpTransportInternals | undefined {
  return (transport as unknown as { pc?: { sctpTransport?: SctpTransportInternals } }).pc?.sctpTransport;
}

/** What is still waiting for the remote SCTP's acknowledgement, in messages and chunks. */
export interface SctpSendBacklog {
  readonly queuedMessages: number;
  readonly unsentChunks: number;
  readonly unackedChunks: number;
}

export function sctpSendBacklog(transport: PeerTransport): SctpSendBacklog {
  const st = sctpTransportOf(transport);
  return {
    queuedMessages: st?.dataChannelQueue.length ?? 0,
    unsentChunks: st?.sctp?.outboundQueue.length ?? 0,
    unackedChunks: st?.sctp?.sentQueue.length ?? 0,
  };
}

/**
 * Resolves 'done' once the remote SCTP has acknowledged everything sent on
 * the transport's data channels, 'closed' if the association closes (or never
 * existed) first, 'timed_out' at the deadline, 'aborted' when the signal fires.
 */
export function sctpSendDrained(transport: PeerTransport, deadline: number, signal?: AbortSignal): Promise<WaitResult> {
  const st = sctpTransportOf(transport);
  const sctp = st?.sctp;
  if (st === undefined || sctp === undefined) return Promise.resolve('closed');
  const drained = () => st.dataChannelQueue.length === 0 && sctp.outboundQueue.length === 0 && sctp.sentQueue.length === 0;
  return waitFor(deadline, signal, (settle) => {
    if (drained()) settle('done');
    else if (sctp.state === 'closed' || transport.closed) settle('closed');
    const offSack = onSack(sctp, () => {
      if (drained()) settle('done');
    });
    const closed = sctp.stateChanged.closed.subscribe(() => settle('closed'));
    return () => {
      offSack();
      closed.unSubscribe();
    };
  });
}
