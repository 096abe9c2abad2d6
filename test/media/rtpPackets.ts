// Builders of small, valid RTP packets for the media processor tests.
import { RtpHeader, RtpPacket } from 'werift';

export function rtp(seq: number, timestamp: number, marker: boolean, payload: Buffer): RtpPacket {
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: timestamp >>> 0, marker, payloadType: 96, ssrc: 1 }),
    payload,
  );
}

/** A VP8 payload: descriptor (S bit on the first packet of a frame) + bytes; keyframes have P=0. */
export function vp8(first: boolean, keyframe: boolean, bytes: number[]): Buffer {
  const descriptor = first ? 0x10 : 0x00;
  if (!first) return Buffer.from([descriptor, ...bytes]);
  const header0 = keyframe ? 0x00 : 0x01;
  return Buffer.from([descriptor, header0, ...bytes]);
}

/** H264 single NAL unit packet. */
export function h264Nal(type: number, bytes: number[]): Buffer {
  return Buffer.from([0x60 | type, ...bytes]);
}

/** H264 STAP-A aggregating the given NAL units. */
export function h264StapA(nals: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x78])];
  for (const n of nals) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(n.length);
    parts.push(len, n);
  }
  return Buffer.concat(parts);
}

/** H264 FU-A fragment of a NAL of the given type. */
export function h264FuA(type: number, start: boolean, end: boolean, bytes: number[]): Buffer {
  return Buffer.from([0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | type, ...bytes]);
}
