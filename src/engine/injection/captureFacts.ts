// capture_facts: what the SDK says about the camera. A track whose label
// names a virtual camera (OBS, ManyCam, XSplit, Snap Camera, CamTwist,
// e2eSoft, v4l2loopback, Chromium's fake capture device, ...), a track with
// no label or no device id (a canvas or a generated stream), page frames
// more regular than a sensor delivers, or no report at all once the session
// decides (a client that is not the SDK, or one that hides its facts).
// All of it is the client's word: a modified browser reports anything.
import type { InjectionScorer } from './types.ts';
import { notScored } from './types.ts';

/** Known virtual-camera and fake-device names, matched case-insensitively against the track label. */
export const VIRTUAL_CAMERA_PATTERNS: readonly RegExp[] = Object.freeze([
  /obs[ -]?(virtual )?cam/i,
  /manycam/i,
  /xsplit/i,
  /snap camera/i,
  /camtwist/i,
  /e2esoft|vcam/i,
  /dummy video device/i, // v4l2loopback's default name
  /v4l2 ?loopback/i,
  /fake_device|fake video capture|fake camera/i, // Chromium's --use-fake-device-for-media-stream
  /\.(y4m|mjpe?g|mp4|webm|mkv|avi|mov)$/i, // ...with --use-file-for-fake-video-capture: the label is the file
  /^(\/|[a-z]:\\)/i, // any file path as a camera name
  /virtual ?cam(era)?/i,
  /splitcam/i,
  /youcam/i,
  /droidcam|iriun|epoccam/i,
  /nvidia broadcast/i,
  /logi capture/i,
  /mmhmm/i,
  /chromacam/i,
  /avatarify|deepfacelive|deep ?live ?cam/i,
  /screen capture|unity video capture/i,
]);

export function virtualCameraMatch(label: string): string | null {
  const hit = VIRTUAL_CAMERA_PATTERNS.find((p) => p.test(label));
  return hit === undefined ? null : hit.source;
}

export const captureFactsSignal: InjectionScorer = {
  name: 'capture_facts',
  score(facts, o, final) {
    const c = facts.capture;
    if (c === null) return final ? { evaluated: true, score: 0.6, why: 'not_reported', values: {} } : notScored();
    const t = c.frameTiming;
    const values = {
      label: c.label.slice(0, 80),
      width: c.settings.width ?? null,
      height: c.settings.height ?? null,
      frameRate: c.settings.frameRate ?? null,
      pageTiming: t.source,
      pageJitterMs: t.source === 'none' ? null : Math.round(t.jitterMs * 1000) / 1000,
      pageFrames: t.frames,
      complete: c.partial !== true,
    };
    const virtual = virtualCameraMatch(c.label);
    if (virtual !== null) return { evaluated: true, score: 1, why: 'virtual_camera', values: { ...values, matched: virtual } };
    if (c.label.trim() === '') return { evaluated: true, score: 0.8, why: 'no_label', values };
    if (c.settings.deviceId === undefined || c.settings.deviceId === '') return { evaluated: true, score: 0.7, why: 'no_device_id', values };
    if (t.source !== 'none' && t.frames >= o.minTimingFrames && t.jitterMs < o.minPageJitterMs) {
      return { evaluated: true, score: 0.7, why: 'periodic_page_frames', values };
    }
    return { evaluated: true, score: 0, why: null, values };
  },
};
