import { redactSecrets } from '../../kernel/unified-logger.js';

/** A Hub failure, with any token scrubbed from the message. Offline-cache misses are the user's to fix (exit 2). */
export class HubError extends Error {
  override readonly name = 'HubError';

  constructor(
    message: string,
    readonly status?: number,
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

/** Removes `token` (and any env secret or hf_ token shape) from text. */
export function redactToken(text: string, token?: string): string {
  const scrubbed = token && token.length >= 4 ? text.split(token).join('***') : text;
  return redactSecrets(scrubbed);
}

/** A HubError for a failed call, with a hint for the usual statuses. */
export function hubFailure(error: unknown, what: string, token?: string): HubError {
  const status = (error as { statusCode?: number }).statusCode;
  const hint =
    status === 401 || status === 403
      ? ' (private or gated: set HF_TOKEN to a token with access)'
      : status === 404
        ? ' (check the id, revision and HF_ENDPOINT)'
        : '';
  const unreachable = status === undefined && error instanceof TypeError && /fetch failed/i.test(error.message);
  if (unreachable) {
    // undici's bare "fetch failed": say what was being fetched and what the user can do about it
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? 'network error';
    return new HubError(redactToken(`${what}: the Hub could not be reached (${why}); give a local directory, set HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the cache`, token), undefined, 2);
  }
  const detail = error instanceof Error ? error.message : String(error);
  const code = status === undefined ? '' : `HTTP ${status}: `;
  // a wrong id, revision or token is the user's to fix (exit code 2); anything else is a failure
  return new HubError(redactToken(`${what}: ${code}${detail}${hint}`, token), status, hint ? 2 : undefined);
}
