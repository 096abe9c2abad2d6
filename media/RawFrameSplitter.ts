// Processor: the decoder's stdout byte stream (packed rgb24 frames of a fixed
// size, back to back, arbitrary chunking) -> one Buffer per whole frame.
// Each output Buffer is freshly allocated and owned by the caller.

export interface RawFrameSplitterStats {
  readonly frameBytes: number;
  readonly frames: number;
  readonly pendingBytes: number;
}

export class RawFrameSplitter {
  readonly #frameBytes: number;
  #current: Buffer;
  #filled = 0;
  #frames = 0;

  constructor(frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new TypeError('frameBytes must be a positive integer');
    }
    this.#frameBytes = frameBytes;
    this.#current = Buffer.allocUnsafe(frameBytes);
  }

  processInput(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(this.#frameBytes - this.#filled, chunk.length - offset);
      chunk.copy(this.#current, this.#filled, offset, offset + n);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#frameBytes) {
        out.push(this.#current);
        this.#frames++;
        this.#current = Buffer.allocUnsafe(this.#frameBytes);
        this.#filled = 0;
      }
    }
    return out;
  }

  toJSON(): RawFrameSplitterStats {
    return { frameBytes: this.#frameBytes, frames: this.#frames, pendingBytes: this.#filled };
  }
}
