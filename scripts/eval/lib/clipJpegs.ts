// A clip's frames as the JPEG data URLs a browser canvas gives (what a REST or
// frame-socket client uploads). Used by eval:kiosk --rest and the frame tests.
import sharp from 'sharp';
import { decodeClip } from './decodeClip.ts';

export interface ClipFrame {
  /** Capture time in the clip, ms. */
  readonly t: number;
  /** data:image/jpeg;base64,... */
  readonly dataUrl: string;
}

/** The clip's frames at `fps` as JPEG data URLs of `quality`; `maxSeconds` stops the decode early. */
export async function clipDataUrls(file: string, fps: number, quality: number, maxSeconds = Number.POSITIVE_INFINITY): Promise<ClipFrame[]> {
  const out: ClipFrame[] = [];
  for await (const { frame, t } of decodeClip(file, { fps, ...(Number.isFinite(maxSeconds) ? { maxSeconds } : {}) })) {
    const jpeg = await sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), {
      raw: { width: frame.width, height: frame.height, channels: 3 },
    }).jpeg({ quality }).toBuffer();
    out.push({ t, dataUrl: `data:image/jpeg;base64,${jpeg.toString('base64')}` });
  }
  return out;
}
