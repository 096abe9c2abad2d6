// Closes an msc-node transport and its werift peer connection completely.
// werift 0.18's SCTP association, when closed while it is resetting a data
// channel's stream (which closing the channels does), leaves its RECONFIG
// retransmission timer running: it keeps retrying into the dead association
// with back-off for minutes and holds the Node process open. Clearing the
// pending request and the timer (now and once more after the in-flight send
// settles) ends it. Remove this when werift cancels that timer on close.
import type { Transport as PeerTransport } from 'msc-node/lib/Transport.js';

interface SctpInternals {
  reconfigRequest?: unknown;
  timerReconfigCancel?: () => void;
}

function sctpOf(transport: PeerTransport): SctpInternals | undefined {
  const pc = (transport as unknown as { pc?: { sctpTransport?: { sctp?: SctpInternals } } }).pc;
  return pc?.sctpTransport?.sctp;
}

function quiet(sctp: SctpInternals): void {
  sctp.reconfigRequest = undefined;
  sctp.timerReconfigCancel?.();
}

export function closeWeriftTransport(transport: PeerTransport | undefined): void {
  if (transport === undefined) return;
  const sctp = sctpOf(transport);
  try {
    if (!transport.closed) transport.close();
  } catch {
    // A transport whose connection already failed may throw while closing; the cleanup below still applies.
  }
  if (sctp === undefined) return;
  quiet(sctp);
  setTimeout(() => quiet(sctp), 100).unref();
  setTimeout(() => quiet(sctp), 1000).unref();
}
