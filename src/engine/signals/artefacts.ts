// Screen and print artefact cues, measured on the raw frame around the face.
// Each cue is a number per frame; the session aggregates them with robust
// statistics and fusion.ts decides which ones carry weight (by measurement on
// recorded genuine and attack clips, see scripts/eval/liveness.ts).
import type { Box, RawFrame } from '../../../models/types.ts';
import type { ArtefactSample } from '../types.ts';

/** What the next frame's temporal cues need of this one: its point grid, and its cell means in its own face box. */
export interface FaceGrid {
  readonly points: Float32Array;
  readonly cells: Float32Array;
  readonly box: Box;
}

export const GRID = 32;
/** Cells per side for the still cue: each averages a few hundred pixels of a typical face. */
export const CELLS = 8;

interface Px {
  readonly data: Uint8Array;
  readonly stride: number;
  readonly ri: number;
  readonly bi: number;
  readonly w: number;
  readonly h: number;
}

/** The picture inside any letterbox / pillarbox bars: [x1, x2) x [y1, y2). */
interface Content {
  readonly x1: number;
  readonly x2: number;
  readonly y1: number;
  readonly y2: number;
}

/** A bar is a border row/column that is pure black: the decoder's padding, never a camera's noise floor. */
const BAR_MAX_GRAY = 3;

function px(frame: RawFrame): Px {
  if (!(frame.data instanceof Uint8Array)) throw new TypeError('frame.data must be a Uint8Array');
  if (frame.stride < frame.width * 3 || frame.data.length < frame.stride * (frame.height - 1) + frame.width * 3) {
    throw new TypeError('frame buffer is smaller than width/height/stride say');
  }
  const bgr = frame.format === 'bgr24';
  return { data: frame.data, stride: frame.stride, ri: bgr ? 2 : 0, bi: bgr ? 0 : 2, w: frame.width, h: frame.height };
}

function gray(p: Px, x: number, y: number): number {
  const i = y * p.stride + x * 3;
  return 0.299 * p.data[i + p.ri]! + 0.587 * p.data[i + 1]! + 0.114 * p.data[i + p.bi]!;
}

function clampBox(b: Box, w: number, h: number): { x1: number; y1: number; x2: number; y2: number } {
  return {
    x1: Math.max(0, Math.min(w - 1, Math.floor(b.x1))),
    y1: Math.max(0, Math.min(h - 1, Math.floor(b.y1))),
    x2: Math.max(1, Math.min(w, Math.ceil(b.x2))),
    y2: Math.max(1, Math.min(h, Math.ceil(b.y2))),
  };
}

/**
 * Fine-over-coarse Laplacian energy of the face crop: screens add pixel-grid
 * and moire energy at the finest scale; it is sampled on at most ~160 px.
 */
function hfRatio(p: Px, b: ReturnType<typeof clampBox>): number {
  const step = Math.max(1, Math.floor(Math.max(b.x2 - b.x1, b.y2 - b.y1) / 160));
  // Every sample and its neighbours lie on the step lattice from (x1, y1): gray once per lattice point.
  const cols = Math.ceil((b.x2 - b.x1) / step);
  const rows = Math.ceil((b.y2 - b.y1) / step);
  if (cols < 5 || rows < 5) return 0;
  const g = new Float64Array(cols * rows);
  for (let j = 0; j < rows; j++) for (let i = 0; i < cols; i++) g[j * cols + i] = gray(p, b.x1 + i * step, b.y1 + j * step);
  let fine = 0;
  let coarse = 0;
  let n = 0;
  for (let j = 2, y = b.y1 + 2 * step; y < b.y2 - 2 * step; j++, y += step) {
    for (let i = 2, x = b.x1 + 2 * step; x < b.x2 - 2 * step; i++, x += step) {
      const k = j * cols + i;
      const c = g[k]!;
      const l1 = 4 * c - g[k - 1]! - g[k + 1]! - g[k - cols]! - g[k + cols]!;
      const l2 = 4 * c - g[k - 2]! - g[k + 2]! - g[k - 2 * cols]! - g[k + 2 * cols]!;
      fine += l1 * l1;
      coarse += l2 * l2;
      n++;
    }
  }
  return n > 0 && coarse > 0 ? fine / coarse : 0;
}

/**
 * Finds padding bars at the frame's borders. The live decoder scales every
 * track to fit its output size and pads the rest with black, so a square or
 * portrait camera arrives pillarboxed; those bars' edges are straight lines
 * framing the face exactly like a phone bezel and must not count as one.
 */
function contentArea(p: Px): Content {
  const sampleStep = 4;
  const colIsBar = (x: number): boolean => {
    for (let y = 0; y < p.h; y += sampleStep) if (gray(p, x, y) > BAR_MAX_GRAY) return false;
    return true;
  };
  const rowIsBar = (y: number): boolean => {
    for (let x = 0; x < p.w; x += sampleStep) if (gray(p, x, y) > BAR_MAX_GRAY) return false;
    return true;
  };
  let x1 = 0;
  while (x1 < p.w / 2 && colIsBar(x1)) x1++;
  let x2 = p.w;
  while (x2 > p.w / 2 && colIsBar(x2 - 1)) x2--;
  let y1 = 0;
  while (y1 < p.h / 2 && rowIsBar(y1)) y1++;
  let y2 = p.h;
  while (y2 > p.h / 2 && rowIsBar(y2 - 1)) y2--;
  return { x1, x2, y1, y2 };
}

/** The strongest straight edge on each side of the face, in gray levels (see `frameSides`). */
export interface FrameSides {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  /** Where each of those lines lies, in frame pixels (x for left/right, y for top/bottom). */
  readonly at: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
}

/**
 * Strongest straight line on each side of the face (a phone or monitor bezel,
 * a paper edge): for vertical lines left and right of the face the
 * sign-consistent mean horizontal gradient over a span of the face height,
 * likewise horizontal lines above and below.
 */
export function frameSides(frame: RawFrame, box: Box): FrameSides {
  return sides(px(frame), box);
}

function sides(p: Px, box: Box): FrameSides {
  // Lines are only looked for inside the picture, so the border between a
  // padding bar and the picture is treated like the frame's own border.
  const c = contentArea(p);
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const step = Math.max(1, Math.floor(Math.max(bw, bh) / 80));
  const lineScore = (vertical: boolean, pos: number): number => {
    // Mean signed gradient across the line, along a span of one face size.
    let s = 0;
    let n = 0;
    if (vertical) {
      const x = Math.round(pos);
      if (x - step <= c.x1 || x + step >= c.x2 - 1) return 0;
      for (let y = Math.max(c.y1, Math.round(cy - bh / 2)); y < Math.min(c.y2, Math.round(cy + bh / 2)); y += step) {
        s += gray(p, x + step, y) - gray(p, x - step, y);
        n++;
      }
    } else {
      const y = Math.round(pos);
      if (y - step <= c.y1 || y + step >= c.y2 - 1) return 0;
      for (let x = Math.max(c.x1, Math.round(cx - bw / 2)); x < Math.min(c.x2, Math.round(cx + bw / 2)); x += step) {
        s += gray(p, x, y + step) - gray(p, x, y - step);
        n++;
      }
    }
    return n >= 8 ? Math.abs(s / n) : 0;
  };
  const best = (vertical: boolean, from: number, to: number): [number, number] => {
    let m = 0;
    let at = Number.NaN;
    const a = Math.min(from, to);
    const z = Math.max(from, to);
    for (let v = a; v <= z; v += step) {
      const l = lineScore(vertical, v);
      if (l > m) [m, at] = [l, v];
    }
    return [m, at];
  };
  // Search from just outside the face box to 1.5 face sizes beyond it.
  const [left, atLeft] = best(true, box.x1 - 0.15 * bw, box.x1 - 1.5 * bw);
  const [right, atRight] = best(true, box.x2 + 0.15 * bw, box.x2 + 1.5 * bw);
  const [top, atTop] = best(false, box.y1 - 0.25 * bh, box.y1 - 1.2 * bh);
  const [bottom, atBottom] = best(false, box.y2 + 0.15 * bh, box.y2 + 1.2 * bh);
  return { left, right, top, bottom, at: { left: atLeft, right: atRight, top: atTop, bottom: atBottom } };
}

/** The pair of parallel lines framing the face: the pair's weaker edge, /64. */
function edgeFrame(p: Px, box: Box): number {
  const s = sides(p, box);
  return Math.min(1, Math.max(Math.min(s.left, s.right), Math.min(s.top, s.bottom)) / 64);
}


/**
 * Mean gray of CELLS x CELLS cells of `box`. Area means average away the
 * codec's per-pixel quantisation noise (a video encoder refining a still
 * picture changes single pixels, not a cell's mean), while any movement of the
 * face shifts the cells' content.
 */
function cellMeans(p: Px, box: Box): Float32Array {
  const b = clampBox(box, p.w, p.h);
  const out = new Float32Array(CELLS * CELLS);
  const step = Math.max(1, Math.floor((b.x2 - b.x1) / 64));
  for (let j = 0; j < CELLS; j++) {
    const ya = b.y1 + Math.floor((j * (b.y2 - b.y1)) / CELLS);
    const yb = Math.max(ya + 1, b.y1 + Math.floor(((j + 1) * (b.y2 - b.y1)) / CELLS));
    for (let i = 0; i < CELLS; i++) {
      const xa = b.x1 + Math.floor((i * (b.x2 - b.x1)) / CELLS);
      const xb = Math.max(xa + 1, b.x1 + Math.floor(((i + 1) * (b.x2 - b.x1)) / CELLS));
      let s = 0;
      let n = 0;
      for (let y = ya; y < yb; y += step) for (let x = xa; x < xb; x += step) (s += gray(p, x, y)), n++;
      out[j * CELLS + i] = n > 0 ? s / n : 0;
    }
  }
  return out;
}

/** Gray face grid sampled on GRID x GRID points of the face box. */
export function faceGrid(frame: RawFrame, box: Box): Float32Array {
  const p = px(frame);
  const b = clampBox(box, p.w, p.h);
  const g = new Float32Array(GRID * GRID);
  for (let j = 0; j < GRID; j++) {
    const y = Math.min(p.h - 1, Math.floor(b.y1 + ((j + 0.5) * (b.y2 - b.y1)) / GRID));
    for (let i = 0; i < GRID; i++) {
      const x = Math.min(p.w - 1, Math.floor(b.x1 + ((i + 0.5) * (b.x2 - b.x1)) / GRID));
      g[j * GRID + i] = gray(p, x, y);
    }
  }
  return g;
}

/** Measures every artefact cue on one frame; `previous` is the last frame's face grid. */
export function measureArtefacts(
  frame: RawFrame,
  box: Box,
  previous?: FaceGrid,
): { sample: ArtefactSample; grid: FaceGrid } {
  const p = px(frame);
  const b = clampBox(box, p.w, p.h);
  let glare = 0;
  let cast = 0;
  let sat = 0;
  let n = 0;
  const step = Math.max(1, Math.floor((b.x2 - b.x1) / 64));
  for (let y = b.y1; y < b.y2; y += step) {
    for (let x = b.x1; x < b.x2; x += step) {
      const i = y * p.stride + x * 3;
      const r = p.data[i + p.ri]!;
      const g = p.data[i + 1]!;
      const bl = p.data[i + p.bi]!;
      const mx = Math.max(r, g, bl);
      const mn = Math.min(r, g, bl);
      if (mn >= 245) glare++;
      const s = r + g + bl;
      if (s > 0) cast += (bl - r) / s;
      if (mx > 0) sat += (mx - mn) / mx;
      n++;
    }
  }
  // Skin patch: cheeks and nose, between the eyes' line and the mouth.
  const bw = b.x2 - b.x1;
  const bh = b.y2 - b.y1;
  const skin = [0, 0, 0] as [number, number, number];
  let ns = 0;
  for (let y = Math.floor(b.y1 + 0.45 * bh); y < b.y1 + 0.75 * bh; y += step) {
    for (let x = Math.floor(b.x1 + 0.25 * bw); x < b.x1 + 0.75 * bw; x += step) {
      const i = y * p.stride + x * 3;
      skin[0] += p.data[i + p.ri]!;
      skin[1] += p.data[i + 1]!;
      skin[2] += p.data[i + p.bi]!;
      ns++;
    }
  }
  const points = faceGrid(frame, box);
  let diff = Number.NaN;
  let cellDiff = Number.NaN;
  if (previous && previous.points.length === points.length) {
    let d = 0;
    for (let k = 0; k < points.length; k++) d += Math.abs(points[k]! - previous.points[k]!);
    diff = d / points.length;
    // Both frames measured in the previous frame's box: the detector's box
    // jitter on an unchanged picture must not read as motion.
    const now = cellMeans(p, previous.box);
    let c = 0;
    for (let k = 0; k < now.length; k++) c += Math.abs(now[k]! - previous.cells[k]!);
    cellDiff = c / now.length;
  }
  const grid: FaceGrid = { points, cells: cellMeans(p, box), box: { x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2 } };
  return {
    sample: {
      hfRatio: hfRatio(p, b),
      edgeFrame: edgeFrame(p, box),
      glare: n > 0 ? glare / n : 0,
      blueCast: n > 0 ? cast / n : 0,
      saturation: n > 0 ? sat / n : 0,
      temporalDiff: diff,
      cellDiff,
      skinRgb: ns > 0 ? [skin[0] / ns, skin[1] / ns, skin[2] / ns] : [0, 0, 0],
    },
    grid,
  };
}
