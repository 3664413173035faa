/**
 * Catches SIGTERM and SIGINT from the first moment the process runs. Imported first by main.ts,
 * before the framework loads (which takes a second or more on a busy machine), so a stop during
 * start-up is never the default "die at once" that could cut initdb short.
 */
type Listener = (signal: NodeJS.Signals) => void;

let received: NodeJS.Signals | undefined;
let listener: Listener | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (received !== undefined) {
    return;
  }
  received = signal;
  listener?.(signal);
}

process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

export const shutdownSignal = {
  get received(): NodeJS.Signals | undefined {
    return received;
  },

  /** Calls `next` on the first signal, at once if it has already arrived. */
  listen(next: Listener): void {
    listener = next;
    if (received !== undefined) {
      next(received);
    }
  },
};
