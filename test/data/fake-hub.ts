import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake Hub saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  authorization?: string;
  range?: string;
}

interface FakeRepo {
  type: 'dataset' | 'model';
  name: string;
  private: boolean;
  /** revision name (branch, tag, refs/convert/parquet) → commit */
  refs: Map<string, string>;
  /** commit → path → content */
  commits: Map<string, Map<string, Buffer>>;
}

const LFS = /\.(parquet|gz|safetensors|bin)$/;

/** sha1 of the git blob, as the Hub reports `oid` for files not in LFS. */
function gitOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * A local Hugging Face Hub on 127.0.0.1 serving the endpoints @huggingface/hub 2.17.5 calls, with the
 * real headers: `GET /api/{datasets,models}/<id>/revision/<rev>` (repo info with `sha`),
 * `GET /api/.../tree/<rev>?recursive=` (listing), `POST /api/.../paths-info/<rev>`, and
 * `GET /[datasets/]<id>/resolve/<rev>/<path>` (ETag, X-Repo-Commit, Content-Length, Range → 206 with
 * Content-Range; LFS files redirect with 302 to a CDN path that serves the bytes, as the Hub does).
 */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private readonly blobs = new Map<string, Buffer>();
  private server: Server | undefined;
  /** Tokens accepted for private repos. */
  readonly tokens = new Set<string>();
  endpoint = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((e: Error) => this.send(res, 500, { error: e.message })));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Adds a commit with these files to a repo and points `revision` at it; returns the commit sha. */
  commit(type: 'dataset' | 'model', name: string, files: Record<string, string | Uint8Array>, revision = 'main', options: { private?: boolean } = {}): string {
    const key = `${type}s/${name}`;
    const repo = this.repos.get(key) ?? { type, name, private: options.private ?? false, refs: new Map(), commits: new Map() };
    this.repos.set(key, repo);
    const contents = new Map(Object.entries(files).map(([path, c]) => [path, Buffer.from(c)]));
    const sha = createHash('sha1').update(`${key}:${revision}:${repo.commits.size}:${[...contents.keys()].join()}`).digest('hex');
    repo.commits.set(sha, contents);
    repo.refs.set(revision, sha);
    for (const content of contents.values()) this.blobs.set(sha256(content), content);
    return sha;
  }

  /** Requests other than the CDN's, in order: `GET /api/datasets/x/revision/main`... */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url!, 'http://x');
    this.requests.push({ method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, range: req.headers.range });
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if ((m = /^\/cdn-lfs\/([0-9a-f]{64})$/.exec(path))) return this.serveBytes(req, res, this.blobs.get(m[1]!), { ETag: `"${m[1]}"` });
    if ((m = /^\/api\/(datasets|models)\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path))) return this.info(req, res, m[1]!, m[2]!, decodeURIComponent(m[3]!));
    if ((m = /^\/api\/(datasets|models)\/([^/]+\/[^/]+)\/tree\/(.+)$/.exec(path))) return this.tree(req, res, m[1]!, m[2]!, m[3]!, url);
    if ((m = /^\/api\/(datasets|models)\/([^/]+\/[^/]+)\/paths-info\/(.+)$/.exec(path))) return this.pathsInfo(req, res, m[1]!, m[2]!, decodeURIComponent(m[3]!));
    if ((m = /^\/(datasets\/)?([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path))) {
      return this.resolve(req, res, m[1] ? 'datasets' : 'models', m[2]!, decodeURIComponent(m[3]!), decodeURIComponent(m[4]!));
    }
    this.send(res, 404, { error: `no route ${path}` });
  }

  /** The repo and commit for a request, or undefined after sending the Hub's error. */
  private lookup(req: IncomingMessage, res: ServerResponse, types: string, name: string, revision: string) {
    const repo = this.repos.get(`${types}/${name}`);
    if (!repo || (repo.private && !this.tokens.has(req.headers.authorization?.replace(/^Bearer /, '') ?? ''))) {
      // the Hub answers 401 for private and missing repos alike, so their existence does not leak
      this.send(res, 401, { error: 'Invalid username or password.' }, { 'X-Error-Code': 'RepoNotFound' });
      return undefined;
    }
    const commit = repo.commits.has(revision) ? revision : repo.refs.get(revision);
    if (!commit) {
      this.send(res, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return undefined;
    }
    return { repo, commit, files: repo.commits.get(commit)! };
  }

  private info(req: IncomingMessage, res: ServerResponse, types: string, name: string, revision: string): void {
    const found = this.lookup(req, res, types, name, revision === 'HEAD' ? 'main' : revision);
    if (!found) return;
    this.send(res, 200, { _id: `id-${name}`, id: name, sha: found.commit, private: found.repo.private, downloads: 0, likes: 0, gated: false, lastModified: '2024-01-01T00:00:00.000Z' });
  }

  private tree(req: IncomingMessage, res: ServerResponse, types: string, name: string, rest: string, url: URL): void {
    // the library does not encode the revision here, so a branch like refs/convert/parquet spans segments
    const repo = this.repos.get(`${types}/${name}`);
    const revision = [...(repo?.refs.keys() ?? []), ...(repo?.commits.keys() ?? [])].find((r) => rest === r || rest.startsWith(`${r}/`)) ?? rest;
    const found = this.lookup(req, res, types, name, revision);
    if (!found) return;
    const prefix = rest.slice(revision.length + 1);
    const recursive = url.searchParams.get('recursive') === 'true';
    const entries = [...found.files]
      .filter(([path]) => path.startsWith(prefix ? `${prefix}/` : '') && (recursive || !path.slice(prefix.length).replace(/^\//, '').includes('/')))
      .map(([path, content]) => entry(path, content));
    this.send(res, 200, entries);
  }

  private async pathsInfo(req: IncomingMessage, res: ServerResponse, types: string, name: string, revision: string): Promise<void> {
    const body = JSON.parse(await readBody(req)) as { paths: string[]; expand?: boolean };
    const found = this.lookup(req, res, types, name, revision);
    if (!found) return;
    const infos = body.paths.flatMap((path) => {
      const content = found.files.get(path);
      if (!content) return [];
      const last = body.expand ? { lastCommit: { id: found.commit, title: 'Upload', date: '2024-01-01T00:00:00.000Z' }, securityFileStatus: { status: 'safe' } } : {};
      return [{ ...entry(path, content), ...last }];
    });
    this.send(res, 200, infos);
  }

  private resolve(req: IncomingMessage, res: ServerResponse, types: string, name: string, revision: string, path: string): void {
    const found = this.lookup(req, res, types, name, revision);
    if (!found) return;
    const content = found.files.get(path);
    if (!content) return this.send(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const common = { 'X-Repo-Commit': found.commit };
    if (LFS.test(path)) {
      const oid = sha256(content);
      res.writeHead(302, { ...common, Location: `/cdn-lfs/${oid}`, 'X-Linked-ETag': `"${oid}"`, 'X-Linked-Size': String(content.length), 'Content-Length': '0' });
      return void res.end();
    }
    this.serveBytes(req, res, content, { ...common, ETag: `"${gitOid(content)}"` });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, content: Buffer | undefined, headers: Record<string, string>): void {
    if (!content) return this.send(res, 404, { error: 'not found' });
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
      const part = content.subarray(start, end + 1);
      res.writeHead(206, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${content.length}`, 'Content-Length': String(part.length) });
      return void res.end(part);
    }
    res.writeHead(200, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': String(content.length), 'Content-Type': 'application/octet-stream' });
    res.end(content);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

function entry(path: string, content: Buffer): Record<string, unknown> {
  const base = { type: 'file', oid: gitOid(content), size: content.length, path };
  return LFS.test(path) ? { ...base, lfs: { oid: sha256(content), size: content.length, pointerSize: 134 } } : base;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
