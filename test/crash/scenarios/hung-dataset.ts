// A map-style dataset whose get(i) never settles from index `hangAt` on (a stuck network read, a
// deadlocked decoder), announcing it on stdout. Loadable in a DataLoader worker (workerSource),
// so it imports nothing of torchtrain's tensor API.
export class HungDataset {
  constructor(readonly length: number, readonly hangAt: number) {}

  get(i: number): { x: number[]; y: number[] } | Promise<never> {
    if (i >= this.hangAt) {
      process.stdout.write(`HANG at sample ${i}\n`);
      return new Promise<never>(() => {});
    }
    return { x: [i, i + 1, i + 2], y: [i] };
  }

  workerSource() {
    return { module: import.meta.url, export: 'HungDataset', args: [this.length, this.hangAt] };
  }
}
