// Errors the user can fix (bad flags, unreadable files): printed without a stack, exit code 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
