/** Wall-clock milliseconds that mean the same in every thread (performance.now() counts from each thread's start). */
export const clockMs = (): number => performance.timeOrigin + performance.now();
