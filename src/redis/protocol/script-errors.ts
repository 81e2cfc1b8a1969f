import { BatchExistsError } from '../../errors.js';

/**
 * The error replies the scripts return on purpose (`redis.error_reply(CODE)`),
 * each turned into the library's error here, and nowhere else. Anything else
 * (a connection error, NOPERM...) is returned unchanged.
 */
export interface ScriptErrorContext {
  /** The batch an add call was creating. */
  batchId?: string;
}

type ScriptErrorCode = 'ERR_BATCH_EXISTS';

const CODES: readonly ScriptErrorCode[] = ['ERR_BATCH_EXISTS'];

/** The code of a script's error reply, if it is one of ours (Redis may add words around it). */
function codeOf(error: unknown): ScriptErrorCode | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = /\b(ERR_[A-Z_]+)\b/.exec(error.message)?.[1] as ScriptErrorCode | undefined;
  return code && CODES.includes(code) ? code : undefined;
}

export function scriptError(error: unknown, context: ScriptErrorContext = {}): unknown {
  switch (codeOf(error)) {
    case 'ERR_BATCH_EXISTS':
      return new BatchExistsError(context.batchId ?? '', { cause: error });
    default:
      return error;
  }
}
