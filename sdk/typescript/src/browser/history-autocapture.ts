type Listener = () => void;

/**
 * Calls back after each history navigation of a single-page app: `pushState` (wrapped, as it
 * fires no event) and `popstate` (back and forward). `replaceState` is left alone: apps use it
 * to tidy the current URL, which is not a new page view.
 */
export class HistoryAutocapture {
  private originalPushState: History['pushState'] | null = null;
  private wrappedPushState: History['pushState'] | null = null;
  private readonly onPopState = () => this.listener();

  constructor(private readonly listener: Listener) {}

  start(): void {
    // Kept unbound on purpose: it is called with `apply(this)`, and whatever another library
    // installed before us stays in the chain.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = window.history.pushState;
    const listener = this.listener;
    const wrapped: History['pushState'] = function (this: History, ...args) {
      const result = original.apply(this, args);
      listener();
      return result;
    };

    this.originalPushState = original;
    this.wrappedPushState = wrapped;
    window.history.pushState = wrapped;
    window.addEventListener('popstate', this.onPopState);
  }

  stop(): void {
    window.removeEventListener('popstate', this.onPopState);

    // Another library may have wrapped ours since; unwrapping then would remove theirs too.
    if (this.originalPushState && window.history.pushState === this.wrappedPushState) {
      window.history.pushState = this.originalPushState;
    }
    this.originalPushState = null;
    this.wrappedPushState = null;
  }
}
