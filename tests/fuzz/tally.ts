/**
 * Counts of the inputs each fuzz target tried, by outcome, written to tests/output/fuzz/<target>.json so
 * the hardening report can quote them (one file per target: fuzz files run in parallel processes).
 */
import fs from 'node:fs';
import path from 'node:path';

const OUT = path.resolve(import.meta.dirname, '../output/fuzz');

/** How many runs each property gets; FUZZ_SCALE=10 for a long soak, 0.2 for a smoke run. */
export function runs(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? '1');
  return Math.max(5, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

export class Tally {
  private readonly counts: Record<string, number> = {};
  constructor(readonly target: string) {}

  add(outcome: string): void {
    this.counts[outcome] = (this.counts[outcome] ?? 0) + 1;
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  get outcomes(): Readonly<Record<string, number>> {
    return this.counts;
  }

  save(): void {
    fs.mkdirSync(OUT, { recursive: true });
    fs.writeFileSync(path.join(OUT, `${this.target}.json`), `${JSON.stringify({ target: this.target, total: this.total, outcomes: this.counts }, null, 2)}\n`);
  }
}

/** The promise's value, or a rejection naming `what` when it takes longer than `ms` (a hang is a failure). */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (hang)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
