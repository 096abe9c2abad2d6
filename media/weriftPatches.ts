// Workarounds for werift 0.18 bugs that matter to a long-running server.
// Importing this module applies them once, process-wide.
//
// SCTP reconfig timer leak: when a data channel closes, werift sends an SCTP
// stream-reset (RE-CONFIG) request and arms a retransmission timer. Moving the
// association to CLOSED cancels timers T1-T3 but not that one, so after a peer
// connection closes the timer keeps re-sending into a dead transport with
// backoff for about two minutes, keeping the process (and a test run) alive
// and holding the association in memory. We cancel it and drop the pending
// request on CLOSED.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface SctpInternals {
  setState(state: number): void;
  timerReconfigCancel(): void;
  reconfigRequest: unknown;
}

const PATCHED = Symbol.for('facegate.werift.sctpReconfigPatch');

function patchSctpReconfigTimer(): void {
  const { SCTP } = require('werift/lib/sctp/src/sctp.js') as { SCTP: { prototype: SctpInternals } };
  const { SCTP_STATE } = require('werift/lib/sctp/src/const.js') as { SCTP_STATE: { CLOSED: number } };
  const proto = SCTP.prototype as SctpInternals & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.setState;
  proto.setState = function patchedSetState(this: SctpInternals, state: number): void {
    original.call(this, state);
    if (state === SCTP_STATE.CLOSED) {
      this.timerReconfigCancel();
      this.reconfigRequest = undefined;
    }
  };
  proto[PATCHED] = true;
}

patchSctpReconfigTimer();
