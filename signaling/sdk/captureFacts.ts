// What the SDK tells the server about its camera (common/protocol/capture.ts):
// the track's label, a fixed subset of getSettings() and getCapabilities(),
// navigator.userAgent, and the frame intervals measured in the page over a
// bounded window: from MediaStreamTrackProcessor frame timestamps (the
// capture clock) where the browser has it, else requestVideoFrameCallback on
// an off-screen video element, else none. The server scores these as the
// capture_facts injection signal; a modified browser can send anything, so
// they are one signal beside the server's own measurements.
import type { CaptureCapabilities, CaptureFrameTiming, CaptureReport, CaptureSettings } from '../../common/protocol/capture.ts';
import { mean, stdDev } from '../../common/vector.ts';

export interface MeasureOptions {
  /** Intervals to measure. Default 30. */
  readonly frames?: number;
  /** Longest the measurement runs, ms. Default 4000. */
  readonly timeoutMs?: number;
}

type Processor = new (init: { track: MediaStreamTrack }) => { readable: ReadableStream<{ timestamp: number; close(): void }> };
type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?(cb: (now: number, metadata: { mediaTime?: number }) => void): number;
};

const int = (x: unknown, max = 16_384): number | undefined =>
  typeof x === 'number' && Number.isFinite(x) ? Math.min(max, Math.max(0, Math.round(x))) : undefined;
const num = (x: unknown, max = 1000): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? Math.min(max, Math.max(0, x)) : undefined);
const str = (x: unknown, max = 256): string | undefined => (typeof x === 'string' ? x.slice(0, max) : undefined);
const strs = (x: unknown): string[] | undefined => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string').slice(0, 8).map((v) => v.slice(0, 32)) : undefined);

/** Drops undefined fields (the schema is strict about shapes, and optional means absent). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function settingsOf(track: MediaStreamTrack): CaptureSettings {
  const s = track.getSettings();
  return defined({
    width: int(s.width),
    height: int(s.height),
    frameRate: num(s.frameRate),
    aspectRatio: num(s.aspectRatio, 100),
    deviceId: str(s.deviceId),
    groupId: str(s.groupId),
    facingMode: str(s.facingMode, 32),
    resizeMode: str((s as { resizeMode?: unknown }).resizeMode, 32),
  });
}

function capabilitiesOf(track: MediaStreamTrack): CaptureCapabilities | undefined {
  if (typeof track.getCapabilities !== 'function') return undefined;
  const c = track.getCapabilities() as Record<string, unknown>;
  const range = (r: unknown, f: (x: unknown) => number | undefined) =>
    r !== null && typeof r === 'object' ? defined({ min: f((r as { min?: unknown }).min), max: f((r as { max?: unknown }).max) }) : undefined;
  return defined({
    width: range(c['width'], (x) => int(x)),
    height: range(c['height'], (x) => int(x)),
    frameRate: range(c['frameRate'], (x) => num(x)),
    facingMode: strs(c['facingMode']),
    resizeMode: strs(c['resizeMode']),
  });
}

/** Frame times (ms) from the track's own frames, or undefined where the browser has no MediaStreamTrackProcessor. */
async function processorTimes(track: MediaStreamTrack, frames: number, deadline: number): Promise<number[] | undefined> {
  const Ctor = (globalThis as { MediaStreamTrackProcessor?: Processor }).MediaStreamTrackProcessor;
  if (Ctor === undefined) return undefined;
  const clone = track.clone();
  const reader = new Ctor({ track: clone }).readable.getReader();
  const times: number[] = [];
  try {
    while (times.length <= frames && performance.now() < deadline) {
      const left = deadline - performance.now();
      const r = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), left))]);
      if (r === null || r.done) break;
      times.push(r.value.timestamp / 1000);
      r.value.close();
    }
  } finally {
    void reader.cancel().catch(() => undefined);
    clone.stop();
  }
  return times;
}

/** Frame times (ms) from requestVideoFrameCallback on an off-screen video, or undefined where there is none. */
async function videoCallbackTimes(track: MediaStreamTrack, frames: number, deadline: number): Promise<number[] | undefined> {
  if (typeof document === 'undefined') return undefined;
  const video = document.createElement('video') as FrameCallbackVideo;
  if (typeof video.requestVideoFrameCallback !== 'function') return undefined;
  video.muted = true;
  video.playsInline = true;
  video.style.cssText = 'position:fixed;left:0;top:0;width:2px;height:2px;opacity:0;pointer-events:none';
  video.setAttribute('aria-hidden', 'true');
  video.srcObject = new MediaStream([track]);
  document.body.appendChild(video);
  const times: number[] = [];
  try {
    await video.play().catch(() => undefined);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - performance.now()));
      const onFrame = (now: number, meta: { mediaTime?: number }) => {
        times.push(typeof meta.mediaTime === 'number' ? meta.mediaTime * 1000 : now);
        if (times.length > frames) {
          clearTimeout(timer);
          resolve();
        } else video.requestVideoFrameCallback!(onFrame);
      };
      video.requestVideoFrameCallback!(onFrame);
    });
  } finally {
    video.pause();
    video.srcObject = null;
    video.remove();
  }
  return times;
}

export async function measureFrameTiming(track: MediaStreamTrack, options: MeasureOptions = {}): Promise<CaptureFrameTiming> {
  const frames = options.frames ?? 30;
  const deadline = performance.now() + (options.timeoutMs ?? 4000);
  let source: CaptureFrameTiming['source'] = 'track_processor';
  let times = await processorTimes(track, frames, deadline).catch(() => undefined);
  if (times === undefined || times.length < 3) {
    source = 'video_frame_callback';
    times = await videoCallbackTimes(track, frames, deadline).catch(() => undefined);
  }
  if (times === undefined || times.length < 3) return { source: 'none', frames: 0, meanIntervalMs: 0, jitterMs: 0 };
  const intervals = times.slice(1).map((t, i) => t - times[i]!).filter((d) => d > 0 && d < 60_000);
  return { source, frames: intervals.length, meanIntervalMs: mean(intervals), jitterMs: stdDev(intervals) };
}

const NOT_MEASURED: CaptureFrameTiming = Object.freeze({ source: 'none', frames: 0, meanIntervalMs: 0, jitterMs: 0 });

/** What is known about `track` at once, without the frame timing: sent first, as a partial report. */
export function partialCaptureReport(track: MediaStreamTrack): CaptureReport {
  const capabilities = capabilitiesOf(track);
  return {
    label: track.label.slice(0, 256),
    settings: settingsOf(track),
    ...(capabilities !== undefined ? { capabilities } : {}),
    frameTiming: NOT_MEASURED,
    userAgent: typeof navigator === 'undefined' ? '' : navigator.userAgent.slice(0, 512),
    partial: true,
  };
}

/** The complete report for `track`; measuring the frame timing takes up to options.timeoutMs. */
export async function captureReport(track: MediaStreamTrack, options: MeasureOptions = {}): Promise<CaptureReport> {
  const { partial: _partial, ...known } = partialCaptureReport(track);
  return { ...known, frameTiming: await measureFrameTiming(track, options) };
}
