// Long computations written as generators that yield between steps, so one caller can run them
// straight through and another (the server) can let other work run between the steps.

export type Steps<T> = Generator<void, T>;

export function runSync<T>(steps: Steps<T>): T {
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** Runs `steps`, awaiting `pause()` whenever about `sliceMs` have passed since the last pause. */
export async function runSliced<T>(steps: Steps<T>, pause: () => Promise<void>, sliceMs: number): Promise<T> {
  let start = performance.now();
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    if (performance.now() - start >= sliceMs) {
      await pause();
      start = performance.now();
    }
  }
}
