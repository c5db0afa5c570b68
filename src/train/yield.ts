/**
 * Yielding to the event loop between batches. A resolved promise is not enough: its
 * continuation is a microtask, run before the browser gets to paint or handle input. A
 * macrotask lets the tab breathe: setImmediate in Node, a MessageChannel message in
 * browsers (not clamped to ≥ 4 ms as nested setTimeout(0) calls are), setTimeout(0) otherwise.
 */
export function macrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') {
    const si = g.setImmediate;
    return new Promise((resolve) => {
      si(resolve);
    });
  }
  if (typeof g.MessageChannel === 'function') {
    const ch = new g.MessageChannel();
    return new Promise((resolve) => {
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Milliseconds of work between yields when no yieldEvery is given: one 60 Hz frame. */
export const YIELD_SLICE_MS = 16;

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
