// How a DataLoader stops iterations in progress from outside: every wait of an iteration (a
// worker's reply, a dataset's get() or next(), the workers' start) goes through `until`, which
// settles with the wait or with the interruption, whichever comes first. A set of listeners
// rather than Promise.race: racing a long-lived promise would keep every settled wait (and its
// batch) reachable from it for the whole epoch.
import { DataLoaderInterrupted } from './errors.js';

export class Interruption {
  private readonly listeners = new Set<(e: Error) => void>();
  /** Set once interrupted; later waits fail at once. */
  error: DataLoaderInterrupted | undefined;

  /** Rejects every wait in progress, and every later one, with DataLoaderInterrupted(reason). */
  fire(reason: unknown): void {
    if (this.error) return;
    this.error = new DataLoaderInterrupted(reason);
    for (const reject of this.listeners) reject(this.error);
    this.listeners.clear();
  }

  /** `wait`, unless the interruption comes first. */
  until<V>(wait: Promise<V>): Promise<V> {
    if (this.error) {
      wait.catch(() => {});
      return Promise.reject(this.error);
    }
    return new Promise<V>((resolve, reject) => {
      this.listeners.add(reject);
      wait.then(
        (v) => {
          this.listeners.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          this.listeners.delete(reject);
          reject(e);
        },
      );
    });
  }
}
