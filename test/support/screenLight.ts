// A model of a screen's light on a face, for synthetic publishers and tests of
// the colour-flash challenge: the page paints a colour full-screen and the
// face, a few tens of centimetres away, reflects it. Skin is lit in proportion
// to its own albedo (red skin returns more red than blue), strongest at the
// face's centre and fading out over its edge; the background, farther away,
// stays as it was. With `litVariants` a clip is encoded once per colour, frame
// for frame, every frame a keyframe, so a publisher can switch colours per frame.
import type { Box, RawFrame } from '../../models/types.ts';
import { encodeRtpClip, type RtpClipPacket } from './rtpClip.ts';
import type { VideoCodec } from '../../media/types.ts';

type Rgb = readonly [number, number, number];

/**
 * The frame as packed rgb24 with the face in `box` lit by `rgb` at `gain`
 * (0.2: a bright screen at arm's length adds up to 20 % of the skin's own
 * value in the channels the colour has). `rgb` null returns the frame unlit.
 */
export function lightFace(frame: RawFrame, box: Box | null, rgb: Rgb | null, gain: number): Uint8Array {
  const { width: w, height: h, stride } = frame;
  const out = new Uint8Array(w * h * 3);
  const [ri, bi] = frame.format === 'rgb24' ? [0, 2] : [2, 0];
  const cx = box ? (box.x1 + box.x2) / 2 : 0;
  const cy = box ? (box.y1 + box.y2) / 2 : 0;
  // The lit region: an ellipse a little larger than the detector's box (forehead to chin).
  const rx = box ? 0.6 * (box.x2 - box.x1) : 1;
  const ry = box ? 0.65 * (box.y2 - box.y1) : 1;
  const k = rgb && box ? [gain * (rgb[0] / 255), gain * (rgb[1] / 255), gain * (rgb[2] / 255)] : null;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * stride + x * 3;
      const o = (y * w + x) * 3;
      let r = frame.data[i + ri]!;
      let g = frame.data[i + 1]!;
      let b = frame.data[i + bi]!;
      if (k) {
        const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
        // Full light inside 70 % of the ellipse, fading to none at its edge.
        const wgt = d >= 1 ? 0 : d <= 0.49 ? 1 : (1 - d) / 0.51;
        if (wgt > 0) {
          r = Math.min(255, r * (1 + wgt * k[0]!));
          g = Math.min(255, g * (1 + wgt * k[1]!));
          b = Math.min(255, b * (1 + wgt * k[2]!));
        }
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return out;
}

export interface LitVariantsOptions {
  /** The clip's frames in order, all one size, with the face box of each (null: no face). */
  readonly frames: readonly { readonly frame: RawFrame; readonly box: Box | null }[];
  readonly fps: number;
  readonly colors: readonly Rgb[];
  readonly gain: number;
  readonly codec: VideoCodec;
}

/**
 * Encodes the clip unlit and once per colour, every frame a keyframe (gop 1):
 * [unlit, lit by colors[0], lit by colors[1], ...], each with the same frames.
 */
export async function litVariants(o: LitVariantsOptions): Promise<RtpClipPacket[][]> {
  const first = o.frames[0]?.frame;
  if (first === undefined) throw new TypeError('litVariants() needs frames');
  // Lit lazily, as ffmpeg reads: seven clips of raw frames would not fit comfortably in memory.
  function* lit(rgb: Rgb | null): Generator<Uint8Array> {
    for (const f of o.frames) yield lightFace(f.frame, f.box, rgb, o.gain);
  }
  const encode = (rgb: Rgb | null): Promise<RtpClipPacket[]> =>
    encodeRtpClip({
      file: '',
      raw: { frames: lit(rgb), width: first.width, height: first.height, fps: o.fps },
      codec: o.codec,
      seconds: o.frames.length / o.fps,
      fps: o.fps,
      gop: 1,
    });
  // ffmpeg paces each encode in real time: run them side by side.
  return Promise.all([encode(null), ...o.colors.map((c) => encode(c))]);
}
