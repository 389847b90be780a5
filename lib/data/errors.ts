// The one error class of lib/data. Its message says what was wrong and where (the file and line,
// the field, the sample's place in the batch and in the dataset) and how to fix it; the same
// facts are properties, for code that reports them.
export interface DataErrorWhere {
  /** The file being read. */
  path?: string;
  /** A batch field, dotted for nested dicts ('image.pixels'). */
  field?: string;
  /** The sample's position in the batch being collated. */
  sampleIndex?: number;
  /** The sample's index in the dataset, when the loader knows it. */
  datasetIndex?: number;
}

export class DataError extends Error {
  readonly path?: string;
  readonly field?: string;
  readonly sampleIndex?: number;
  readonly datasetIndex?: number;

  constructor(message: string, where: DataErrorWhere = {}) {
    super(message);
    this.name = 'DataError';
    Object.assign(this, where);
  }
}

/**
 * A DataLoader iteration stopped from outside (`loader.interrupt(reason)`, `loader.close()`), e.g.
 * by a SIGINT while a worker's get() never settled. `reason` is what the caller gave ('SIGINT', an
 * Error, ...). Code that stops on purpose tells it from a data failure with `instanceof`.
 */
export class DataLoaderInterrupted extends Error {
  readonly reason: unknown;

  constructor(reason: unknown) {
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : String(reason);
    super(`DataLoader: the iteration was interrupted (${why}); its worker threads were stopped`, reason instanceof Error ? { cause: reason } : undefined);
    this.name = 'DataLoaderInterrupted';
    this.reason = reason;
  }
}
