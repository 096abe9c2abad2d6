// What the kiosk page tells a user after a try failed: one sentence per
// decision reason (common/session.ts), saying what to do next. Exhaustive, so
// a new reason code fails the typecheck until it has words here.
import type { DecisionReason } from '../../common/session.ts';

export const REASON_TEXT: Readonly<Record<DecisionReason, string>> = {
  no_face: 'We could not see your face. Keep your face inside the oval, facing the camera, and try again.',
  multiple_faces: 'More than one face was in view. Make sure only you are in front of the camera, then try again.',
  face_too_small: 'Your face was too far from the camera. Move closer until your face fills the oval, then try again.',
  poor_quality: 'The picture was not clear enough. Face an even light, hold the camera still, and try again.',
  liveness_failed: 'We could not confirm a live person. Look straight at the camera in good light and try again.',
  occluded: 'Part of your face was covered. Remove anything in front of your face (hand, mask, sunglasses) and try again.',
  challenge_failed: 'The action we asked for was not seen. Follow each prompt as soon as it appears, then try again.',
  challenge_timeout: 'Time ran out before the action was seen. Do each action as soon as it is shown, then try again.',
  spoof_suspected: 'This looked like a photo, a screen or a recording, not a live face. Use the camera directly and try again.',
  injection_suspected: 'The video did not come straight from a camera (a virtual camera or another video source). Use your device\'s own camera directly and try again.',
  identity_changed: 'A different face appeared during the check. Only one person should be in front of the camera.',
  no_match: 'Your face did not match the enrolled person. Check that you are the right person, or ask to enroll again.',
  locked_out: 'Too many tries failed. Wait a few minutes before you try again.',
  expired: 'The check timed out. Press Start to begin again.',
  cancelled: 'The check was stopped. Press Start to begin again.',
  too_many_frames: 'The check took too long. Press Start to begin again.',
  node_lost: 'The server had to restart the check. Press Start to begin again.',
  step_up_required: 'The check without prompts is done, but it cannot confirm you on its own. Please confirm another way (ask the staff or use your other sign-in method).',
};

/** The words for a reason the server sent (free text on the wire), or a general hint. */
export function reasonText(reason: string | null | undefined): string {
  if (reason !== null && reason !== undefined && Object.hasOwn(REASON_TEXT, reason)) return REASON_TEXT[reason as DecisionReason];
  return 'The check did not succeed. Keep your face in the oval, follow the prompts, and try again.';
}

/** Why the connection ended before a result, for the connection's own reasons (the SDK's 'closed' event). */
const END_TEXT: Readonly<Record<string, string>> = {
  connection_lost: 'The connection to the server was lost. Check the network, then press Start to try again.',
  transport_failed: 'The video connection failed. Check the network, then press Start to try again.',
  server_closing: 'The server is restarting. Wait a moment, then press Start to try again.',
  session_ended: 'This check was stopped or timed out. Press Start to begin a new one.',
  media_worker_died: 'The server could not receive the video. Press Start to try again.',
  decoder_failed: 'The server could not read the video from this camera. Try another camera, then press Start.',
};

export function endText(reason: string): string | undefined {
  return Object.hasOwn(END_TEXT, reason) ? END_TEXT[reason] : undefined;
}
