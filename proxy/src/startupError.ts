/** A start-up problem the user must fix; its message is one line, printed without a stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}
