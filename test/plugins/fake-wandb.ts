import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake W&B server saw it. */
export interface SeenWandbRequest {
  method: string;
  path: string;
  authorization?: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (GraphQL and file_stream), or the raw text of an upload. */
  body: unknown;
  /** The status the fake answered with. */
  status: number;
}

/** A run as the server stores it. */
export interface FakeRun {
  entity: string;
  project: string;
  name: string;
  displayName?: string;
  /** The last config sent, parsed. */
  config?: Record<string, { value: unknown; desc: unknown }>;
  upserts: number;
  /** wandb-history.jsonl lines by line number (the file stream writes lines at offsets). */
  history: string[];
  /** Every history offset the file stream was sent, in order. */
  historyOffsets: number[];
  summary?: string;
  /** Run files PUT to their upload URL. */
  files: Map<string, string>;
  /** Paths reported in file_stream `uploaded` lists. */
  uploaded: Set<string>;
  complete?: boolean;
  exitcode?: number;
}

interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * A local W&B server on 127.0.0.1 with the endpoints this logger uses, as W&B serves them: `POST /graphql`
 * (`upsertBucket`, `createRunFiles`), `POST /files/{entity}/{project}/{run}/file_stream`, and the signed
 * upload URLs createRunFiles hands out (`PUT /upload/...`, which take no credentials). Requests need
 * `Authorization: Basic base64("api:<key>")`. `failNext(n, status)` answers the next n API requests with an
 * error; NaN/Infinity in history lines are W&B's extended JSON.
 */
export class FakeWandb {
  readonly requests: SeenWandbRequest[] = [];
  readonly runs = new Map<string, FakeRun>();
  endpoint = '';
  private server?: Server;
  private failures: Failure[] = [];

  constructor(
    readonly apiKey: string,
    readonly defaultEntity = 'test-entity',
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((e: Error) => this.send(res, 500, { error: e.message })));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `count` API requests (GraphQL and file_stream) fail with `status`. */
  failNext(count: number, status: number, options: Omit<Failure, 'status'> = {}): void {
    for (let i = 0; i < count; i++) this.failures.push({ status, ...options });
  }

  /** Drops the failures not yet served. */
  recover(): void {
    this.failures = [];
  }

  /** The only run (tests log one at a time). */
  run(): FakeRun {
    expect1(this.runs.size, 'runs on the fake W&B server');
    return [...this.runs.values()][0]!;
  }

  /** The run's history rows, parsed. */
  historyRows(run = this.run()): Array<Record<string, unknown>> {
    return run.history.map((line) => JSON.parse(line.replace(/\b-?Infinity\b|\bNaN\b/g, 'null')) as Record<string, unknown>);
  }

  get authorization(): string {
    return `Basic ${Buffer.from(`api:${this.apiKey}`).toString('base64')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    const text = await readBody(req);
    const isUpload = url.pathname.startsWith('/upload/');
    const seen: SeenWandbRequest = { method: req.method!, path: url.pathname, authorization: req.headers.authorization, headers: req.headers, body: isUpload ? text : parseJson(text), status: 200 };
    this.requests.push(seen);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      this.send(res, status, body, headers);
    };
    if (isUpload) return reply(200, this.upload(url.pathname, text));
    const failure = this.failures.shift();
    if (failure) {
      // a careless server that echoes the request's credentials in its error (the client must not repeat them)
      const error = failure.echoAuth ? `bad request from ${req.headers.authorization}` : 'injected failure';
      return reply(failure.status, { error }, failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {});
    }
    if (req.headers.authorization !== this.authorization) return reply(401, { error: 'invalid API key' });
    if (req.method === 'POST' && url.pathname === '/graphql') return reply(200, this.graphql(seen.body as GraphqlBody));
    const stream = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(url.pathname);
    if (req.method === 'POST' && stream) return reply(...this.fileStream(stream.slice(1).map(decodeURIComponent), seen.body as FileStreamBody));
    reply(404, { error: `no route ${req.method} ${url.pathname}` });
  }

  private graphql({ query, variables }: GraphqlBody): unknown {
    if (query.includes('upsertBucket(')) return { data: { upsertBucket: this.upsertBucket(variables) } };
    if (query.includes('createRunFiles(')) return { data: { createRunFiles: this.createRunFiles(variables) } };
    return { errors: [{ message: 'unknown query' }] };
  }

  private upsertBucket(v: Record<string, unknown>): unknown {
    const entity = (v.entity as string | undefined) ?? this.defaultEntity;
    const key = `${entity}/${v.project}/${v.name}`;
    const inserted = !this.runs.has(key);
    const run: FakeRun = this.runs.get(key) ?? { entity, project: v.project as string, name: v.name as string, upserts: 0, history: [], historyOffsets: [], files: new Map(), uploaded: new Set() };
    this.runs.set(key, run);
    run.upserts++;
    if (typeof v.displayName === 'string') run.displayName = v.displayName;
    if (typeof v.config === 'string') run.config = JSON.parse(v.config) as FakeRun['config'];
    const bucket = { id: Buffer.from(`Run:${key}`).toString('base64'), name: run.name, displayName: run.displayName, historyLineCount: run.history.length, project: { name: run.project, entity: { name: entity } } };
    return { bucket, inserted };
  }

  private createRunFiles(v: Record<string, unknown>): unknown {
    const files = (v.files as string[]).map((name) => ({ name, uploadUrl: `${this.endpoint}/upload/${v.entity}/${v.project}/${v.run}/${name}` }));
    return { runID: v.run, uploadHeaders: ['X-Upload-Check: signed'], files };
  }

  private upload(path: string, text: string): unknown {
    const [entity, project, name, ...file] = path.slice('/upload/'.length).split('/');
    const run = this.runs.get(`${entity}/${project}/${name}`);
    if (!run) throw new Error(`upload for unknown run ${path}`);
    run.files.set(file.join('/'), text);
    return {};
  }

  private fileStream([entity, project, name]: string[], body: FileStreamBody): [number, unknown] {
    const run = this.runs.get(`${entity}/${project}/${name}`);
    if (!run) return [404, { error: `run ${entity}/${project}/${name} not found` }];
    const history = body.files?.['wandb-history.jsonl'];
    if (history) {
      run.historyOffsets.push(history.offset);
      history.content.forEach((line, i) => (run.history[history.offset + i] = line));
    }
    const summary = body.files?.['wandb-summary.json'];
    if (summary) run.summary = summary.content.at(-1);
    for (const path of body.uploaded ?? []) run.uploaded.add(path);
    if (body.complete) Object.assign(run, { complete: true, exitcode: body.exitcode });
    return [200, { exitcode: null, limits: {} }];
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }
}

interface Failure {
  status: number;
  retryAfter?: string;
  echoAuth?: boolean;
}

interface FileStreamBody {
  files?: Record<string, { offset: number; content: string[] }>;
  uploaded?: string[];
  complete?: boolean;
  exitcode?: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

function expect1(size: number, what: string): void {
  if (size !== 1) throw new Error(`expected exactly one of ${what}, found ${size}`);
}
