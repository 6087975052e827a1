import { HttpError, parseRetryAfter, RefusedError, withRetries, type RetryPolicy } from './retry.js';

/** Where a run lives on the server: `{entity}/{project}/runs/{runId}`. */
export interface RunPath {
  readonly entity: string;
  readonly project: string;
  readonly runId: string;
}

export interface UpsertRunInput {
  readonly runId: string;
  readonly project: string;
  readonly entity?: string;
  readonly displayName: string;
  /** `{key: {value, desc}}` as a JSON string, the way W&B's clients send config. */
  readonly config: string;
}

export interface UpsertedRun extends RunPath {
  /** History lines the server already holds (a resumed run appends after them). */
  readonly historyLineCount: number;
}

/** A file_stream request: each file's lines at an offset; `uploaded` names run files PUT since the last one. */
export interface FileStreamBody {
  files?: Record<string, { offset: number; content: string[] }>;
  uploaded?: string[];
  complete?: boolean;
  exitcode?: number;
}

export interface RunFileUploads {
  /** Run file path → a URL to PUT its bytes to (signed storage; it gets no credentials). */
  readonly urls: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

export interface WandbApiOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly retry: RetryPolicy;
  readonly httpTimeoutMs: number;
  /** Aborts requests and retry waits (the logger's close). */
  readonly signal: AbortSignal;
}

// The W&B server's schema names a project "model" and a run "bucket".
const UPSERT_BUCKET = `mutation UpsertBucket($name: String, $project: String, $entity: String, $displayName: String, $config: JSONString) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, displayName: $displayName, config: $config}) {
    bucket { id name displayName historyLineCount project { name entity { name } } }
    inserted
  }
}`;

const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

interface UpsertBucketData {
  upsertBucket: { bucket: { name: string; historyLineCount?: number | null; project: { name: string; entity: { name: string } } } };
}

interface CreateRunFilesData {
  createRunFiles: { uploadHeaders?: string[] | null; files: Array<{ name: string; uploadUrl?: string | null }> };
}

/**
 * The endpoints W&B's own clients use: GraphQL `upsertBucket` (create or resume a run) and `createRunFiles`
 * (signed upload URLs), and the run's file stream (`wandb-history.jsonl`, `wandb-summary.json`, completion).
 * Every request retries with backoff; every error message is scrubbed of the API key.
 */
export class WandbApi {
  private readonly authorization: string;

  constructor(private readonly options: WandbApiOptions) {
    this.authorization = `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
  }

  async upsertRun(input: UpsertRunInput): Promise<UpsertedRun> {
    const variables = { name: input.runId, project: input.project, entity: input.entity, displayName: input.displayName, config: input.config };
    const { bucket } = (await this.graphql<UpsertBucketData>(UPSERT_BUCKET, variables)).upsertBucket;
    return { runId: bucket.name, project: bucket.project.name, entity: bucket.project.entity.name, historyLineCount: bucket.historyLineCount ?? 0 };
  }

  async createRunFiles(run: RunPath, files: readonly string[]): Promise<RunFileUploads> {
    const variables = { entity: run.entity, project: run.project, run: run.runId, files };
    const data = (await this.graphql<CreateRunFilesData>(CREATE_RUN_FILES, variables)).createRunFiles;
    const urls = new Map(data.files.flatMap((f) => (f.uploadUrl ? [[f.name, f.uploadUrl] as const] : [])));
    return { urls, headers: parseUploadHeaders(data.uploadHeaders ?? []) };
  }

  async putFile(url: string, headers: Readonly<Record<string, string>>, body: Buffer): Promise<void> {
    await (await this.request(url, { method: 'PUT', headers: { ...headers }, body }, false)).arrayBuffer();
  }

  async fileStream(run: RunPath, body: FileStreamBody): Promise<void> {
    const path = [run.entity, run.project, run.runId].map(encodeURIComponent).join('/');
    // the reply (feedback such as {"exitcode": null}) carries nothing this logger acts on; read it to free the socket
    await (await this.request(`${this.options.baseUrl}/files/${path}/file_stream`, jsonInit(body), true)).arrayBuffer();
  }

  /** `text` with the API key (and its Basic-auth form) replaced by `***`. */
  redact(text: string): string {
    const secrets = [this.options.apiKey, this.authorization.slice('Basic '.length)].filter((s) => s.length >= 4);
    return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  }

  private async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await this.request(`${this.options.baseUrl}/graphql`, jsonInit({ query, variables }), true);
    const payload = (await response.json()) as { data?: T; errors?: Array<{ message?: string }> };
    if (payload.errors?.length || !payload.data) {
      const messages = payload.errors?.map((e) => e.message ?? 'unknown error').join('; ') ?? 'no data in the response';
      throw new RefusedError(this.redact(`W&B GraphQL error: ${messages}`));
    }
    return payload.data;
  }

  /** One request with retries; credentials go to the W&B server only, never to a signed storage URL. */
  private request(url: string, init: RequestInit, withAuth: boolean): Promise<Response> {
    const headers = { ...(init.headers as Record<string, string>), ...(withAuth ? { Authorization: this.authorization } : {}) };
    const attempt = async () => {
      const signal = AbortSignal.any([this.options.signal, AbortSignal.timeout(this.options.httpTimeoutMs)]);
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers, signal });
      } catch (error) {
        throw new Error(this.redact(`${init.method} ${url}: ${describeFetchError(error)}`));
      }
      if (response.ok) return response;
      const text = (await response.text().catch(() => '')).slice(0, 300);
      const message = this.redact(`${init.method} ${url}: HTTP ${response.status}${text ? ` ${text}` : ''}`);
      throw new HttpError(message, response.status, parseRetryAfter(response.headers.get('retry-after')));
    };
    return withRetries(attempt, this.options.retry, this.options.signal);
  }
}

function jsonInit(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** The server returns upload headers as "Name: value" strings. */
function parseUploadHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** fetch reports "fetch failed" and hides the reason (ECONNREFUSED, a timeout...) in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.message ?? cause?.code ?? (error instanceof Error ? error.message : String(error));
}
