// Counts cases and collects failures across the suites. Each property runs
// with fast-check's check() (not assert), so one failing property records its
// shrunk counter-example and the others still run: every distinct defect
// shows in one run. Each property has a time budget that also bounds its
// shrinking, so a failure cannot turn the run into an unbounded search.
import fc from 'fast-check';

export interface Failure {
  readonly property: string;
  readonly counterexample: string;
  readonly error: string;
  readonly seed: number | null;
}

const MAX_PRINT = 1500;

function clip(s: string): string {
  return s.length > MAX_PRINT ? `${s.slice(0, MAX_PRINT)}... (${s.length} chars)` : s;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class FuzzRun {
  readonly failures: Failure[] = [];
  readonly #seed: number | undefined;
  #cases = 0;
  #properties = 0;

  /** seed: replays a run (FUZZ_SEED); each property gets seed + its index. */
  constructor(seed?: number) {
    this.#seed = seed;
  }

  get cases(): number {
    return this.#cases;
  }

  /** Runs a property over numRuns generated inputs; the predicate throws on a violation. */
  async property<T>(
    name: string,
    arb: fc.Arbitrary<T>,
    predicate: (input: T) => Promise<void>,
    o: { numRuns: number; timeLimitMs: number },
  ): Promise<void> {
    const seed = this.#seed !== undefined ? this.#seed + this.#properties : undefined;
    this.#properties++;
    const details = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        this.#cases++;
        await predicate(input);
      }),
      { numRuns: o.numRuns, skipAllAfterTimeLimit: o.timeLimitMs, ...(seed !== undefined ? { seed } : {}) },
    );
    if (details.failed) {
      this.failures.push({
        property: name,
        counterexample: clip(fc.stringify(details.counterexample?.[0])),
        error: clip(message(details.errorInstance)),
        seed: details.seed,
      });
    }
  }

  /** One hand-written input (a corpus case); counted like a generated one. */
  async example(name: string, input: string, check: () => Promise<void>): Promise<void> {
    this.#cases++;
    try {
      await check();
    } catch (e) {
      this.failures.push({ property: name, counterexample: clip(input), error: clip(message(e)), seed: null });
    }
  }

  /** A failure found outside a property (the node stopped answering, a socket dropped). */
  fail(property: string, error: string): void {
    this.failures.push({ property, counterexample: '-', error: clip(error), seed: null });
  }

  report(out: (line: string) => void): void {
    for (const f of this.failures) {
      out(`FAIL ${f.property}${f.seed !== null ? ` (seed ${f.seed})` : ''}`);
      out(`  input: ${f.counterexample}`);
      out(`  error: ${f.error}`);
    }
    out(`fuzz: ${this.#cases} cases, ${this.failures.length} failures`);
  }
}
