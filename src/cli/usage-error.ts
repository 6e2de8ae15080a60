/** A command line the CLI cannot run: printed as one line, exit code 2 (the convention for usage errors). */
export class UsageError extends Error {
  readonly code = 'USAGE';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
