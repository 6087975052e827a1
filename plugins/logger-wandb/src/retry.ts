/** A response outside 2xx; `retryAfterMs` carries the server's Retry-After, when it sent one. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The server answered and refused (a GraphQL error such as an unknown project): asking again changes nothing. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

export interface RetryPolicy {
  readonly retryMs: number;
  readonly maxAttempts: number;
}

/** Retry-After can ask for hours; a training run's logger waits at most this long between two attempts. */
const MAX_BACKOFF_MS = 60_000;

/**
 * Network failures, timeouts, 408, 429 and 5xx are worth another try (W&B's clients retry the same); any other
 * status (a rejected key, a bad request) and a refusal fail the same way every time.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof HttpError) return error.status === 408 || error.status === 429 || error.status >= 500;
  return !(error instanceof RefusedError);
}

/** Runs `attempt` until it succeeds, fails for good, runs out of attempts or `signal` aborts. */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy, signal: AbortSignal): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted || n >= policy.maxAttempts || !isRetryable(error)) throw error;
      await sleep(backoffMs(policy, n, error), signal);
    }
  }
}

/** Exponential backoff with a little jitter (clients that failed together should not retry together), or Retry-After if longer. */
function backoffMs(policy: RetryPolicy, attempt: number, error: unknown): number {
  const exponential = policy.retryMs * 2 ** (attempt - 1) * (1 + Math.random() * 0.25);
  const asked = error instanceof HttpError ? (error.retryAfterMs ?? 0) : 0;
  return Math.min(MAX_BACKOFF_MS, Math.max(exponential, asked));
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects and leaves no timer behind. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Retry-After in seconds or as an HTTP date, in milliseconds. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
