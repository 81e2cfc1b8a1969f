/** Run `fn` and return what it threw; fail the test when it throws nothing. */
export function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`Expected an Error to be thrown, got ${String(error)}`, { cause: error });
  }
  throw new Error('Expected the function to throw, but it returned');
}
