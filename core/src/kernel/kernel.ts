import 'reflect-metadata';
import { Container } from 'inversify';
import { getContributionMetadata, type ContributionMetadata, type ContributionOptions, type Constructor } from './contribution.js';
import { ContributionRegistry, DuplicateContributionError, type ContributionRecord } from './contribution-registry.js';
import type { ExtensionKind, ExtensionPoint } from './extension-point.js';
import { discoverPlugins, type DiscoveryOptions } from './plugin-discovery.js';
import { declaredContributions, importEntryFile, loadPluginContributions, recordsOf, type LoadedPlugin, type PluginImporter } from './plugin-loader.js';
import { asPluginError, type PluginManifest, type PluginOrigin } from './plugin-manifest.js';
import { didYouMean } from './suggest.js';
import { Tokens } from './tokens.js';

export const PROGRAMMATIC_SOURCE = '<programmatic>';

export type PluginStatus = 'pending' | 'loaded' | 'failed';

/** What `aligntune plugins` shows for each plugin. */
export interface PluginState {
  name: string;
  version?: string;
  dir?: string;
  origin: PluginOrigin;
  status: PluginStatus;
  error?: Error;
  /** `description` is the decorator's one-liner, once the plugin is loaded. */
  contributions: Array<{ kind: ExtensionKind; id: string; description?: string }>;
  /** Problems that do not stop the plugin, such as a decorated class it exports without declaring it. */
  warnings: string[];
}

export class UnknownContributionError extends Error {
  constructor(
    readonly kind: ExtensionKind,
    readonly id: string,
    known: string[],
    /** Where the plugins were looked for, when that helps (see prepareKernel). */
    whereLooked?: string,
  ) {
    super(
      `no installed plugin provides ${kind} "${id}"${didYouMean(id, known)}; available: ${known.length ? known.join(', ') : 'none'}${whereLooked ? `; ${whereLooked}` : ''}`,
    );
    this.name = 'UnknownContributionError';
  }
}

/** Values a contribution instance is created with (bound to Tokens.Params / Tokens.Config). */
export interface CreateBindings {
  params?: unknown;
  config?: unknown;
}

/** The services a kernel binds for every contribution it creates. */
export interface KernelServices {
  logger?: unknown;
  /** The run config contributions receive (Tokens.Config) when `create` is given none. */
  config?: unknown;
}

interface PluginEntry {
  state: PluginState;
  manifest?: PluginManifest;
  importer?: PluginImporter;
  loading?: Promise<void>;
}

/**
 * The composition root: an inversify container, one registry per extension kind, and the plugins that fill
 * them. Plugins are known by their package.json manifests; each is imported only when one of the
 * contributions it declares is asked for (or every plugin is listed), and only what it declares is registered.
 */
export class Kernel {
  readonly container = new Container({ autobind: true });
  private readonly registry = new ContributionRegistry();
  private readonly plugins = new Map<string, PluginEntry>();
  /** kind\0id → plugin that declared it. */
  private readonly declared = new Map<string, PluginEntry>();
  private readonly config: unknown;

  constructor(services: KernelServices = {}) {
    this.container.bind(Tokens.Kernel).toConstantValue(this);
    if (services.logger !== undefined) this.container.bind(Tokens.Logger).toConstantValue(services.logger);
    this.config = services.config ?? null;
  }

  /** Finds plugins by their manifests; no plugin code runs. Failures are recorded per plugin, never thrown. */
  async discover(options: DiscoveryOptions): Promise<void> {
    const { manifests, failures } = discoverPlugins(options);
    for (const { name, error } of failures) this.addFailedPlugin(name, error);
    for (const manifest of manifests) this.addManifest(manifest);
  }

  /**
   * Adds a plugin by manifest, indexing its declared contributions; `importer` replaces importing its entry
   * file (the test harness imports by package name, so tests run the plugin's sources).
   */
  addManifest(manifest: PluginManifest, importer: PluginImporter = importEntryFile): void {
    if (this.plugins.has(manifest.name)) return;
    const contributions = Object.entries(manifest.provides).flatMap(([kind, ids]) => (ids ?? []).map((id) => ({ kind: kind as ExtensionKind, id })));
    const entry: PluginEntry = {
      manifest,
      importer,
      state: { name: manifest.name, version: manifest.version, dir: manifest.dir, origin: manifest.origin, status: 'pending', contributions, warnings: [] },
    };
    this.plugins.set(manifest.name, entry);
    for (const { kind, id } of contributions) {
      const other = this.declared.get(declaredKey(kind, id))?.state.name ?? this.registry.get(kind, id)?.source;
      if (other !== undefined) {
        this.fail(entry, new DuplicateContributionError(kind, id, [other, manifest.name]));
        return;
      }
    }
    for (const { kind, id } of contributions) this.declared.set(declaredKey(kind, id), entry);
  }

  /** Adds a plugin whose entry module is already imported (the test harness's preloaded plugins): registered at once. */
  addLoadedPlugin(manifest: PluginManifest, exports: Record<string, unknown>): void {
    this.addManifest(manifest, async () => exports);
    const entry = this.plugins.get(manifest.name)!;
    if (entry.state.status !== 'pending') return;
    entry.loading = Promise.resolve();
    this.settle(entry, () => declaredContributions(manifest, exports));
  }

  /** Imports every plugin not imported yet (for `aligntune plugins`, which shows each one's health). */
  async loadAll(): Promise<void> {
    const pending = [...this.plugins.values()].filter((entry) => entry.state.status === 'pending');
    // Sequential on purpose: registration order (and so duplicate blame) stays deterministic.
    for (const entry of pending) await this.load(entry);
  }

  /** Registers a decorated class from a script (no package needed). */
  registerClass(cls: Constructor, source = PROGRAMMATIC_SOURCE): ContributionRecord[] {
    const records = recordsOf(cls, source);
    this.registry.addAll(records);
    return records;
  }

  /** Registers a class for kind+id from a script; the class needs no decorator. */
  register(kind: ExtensionKind, id: string, cls: Constructor, options: ContributionOptions & { source?: string } = {}): void {
    const { source = PROGRAMMATIC_SOURCE, ...contribution } = options;
    const metadata: ContributionMetadata = { ...(getContributionMetadata(cls) ?? {}), ...contribution, kind, ids: [id] };
    this.registry.add({ kind, id, cls, metadata, source });
  }

  unregister(kind: ExtensionKind, id: string): boolean {
    return this.registry.remove(kind, id);
  }

  has(kind: ExtensionKind, id: string): boolean {
    return this.registry.get(kind, id) !== undefined || this.pendingDeclaration(kind, id) !== undefined;
  }

  /** Registered ids plus ids declared by plugins not imported yet. */
  ids(kind: ExtensionKind): string[] {
    const ids = new Set(this.registry.ids(kind));
    for (const [key, entry] of this.declared) {
      const [declaredKind, id] = key.split('\u0000') as [ExtensionKind, string];
      if (declaredKind === kind && entry.state.status === 'pending') ids.add(id);
    }
    return [...ids].sort();
  }

  /** The contribution's metadata (params/options classes) if it is loaded; a stub if only declared. */
  metadata(kind: ExtensionKind, id: string): ContributionMetadata | undefined {
    const record = this.registry.get(kind, id);
    if (record) return record.metadata;
    return this.pendingDeclaration(kind, id) ? { kind, ids: [id] } : undefined;
  }

  record(kind: ExtensionKind, id: string): ContributionRecord | undefined {
    return this.registry.get(kind, id);
  }

  /** Imports the plugin that declared kind+id if needed; throws the plugin's error if it is broken. */
  async ensure(kind: ExtensionKind, id: string): Promise<ContributionRecord> {
    const pending = this.pendingDeclaration(kind, id);
    if (pending) await this.load(pending);
    const record = this.registry.get(kind, id);
    if (record) return record;
    const failed = this.declared.get(declaredKey(kind, id));
    if (failed?.state.error) throw failed.state.error;
    throw new UnknownContributionError(kind, id, this.ids(kind));
  }

  /**
   * What a default among installed contributions is chosen by: kind+id's manifest `traits` while its plugin is not
   * imported (so choosing imports nothing), else its declaredOptions.
   */
  async traits<T extends object>(kind: ExtensionKind, id: string): Promise<{ options: Partial<T> } | { failure: string }> {
    const traits = this.pendingDeclaration(kind, id)?.manifest?.traits?.[kind]?.[id];
    return traits ? { options: traits as Partial<T> } : this.declaredOptions<T>(kind, id);
  }

  /**
   * The decorator options kind+id was declared with, importing its plugin if needed; or why that plugin does not
   * load (for choosing a default among installed contributions, where one broken plugin must not stop the choice).
   */
  async declaredOptions<T extends object>(kind: ExtensionKind, id: string): Promise<{ options: Partial<T> } | { failure: string }> {
    try {
      return { options: (await this.ensure(kind, id)).metadata as unknown as Partial<T> };
    } catch (error) {
      return { failure: (error as Error).message };
    }
  }

  /** Creates an instance of kind+id through the container, with params/config bound for injection. */
  async create<T>(point: ExtensionPoint<T>, id: string, bindings: CreateBindings = {}): Promise<T> {
    const record = await this.ensure(point.kind, id);
    const values = new Map<string, unknown>([
      [Tokens.Params, bindings.params ?? {}],
      [Tokens.Config, bindings.config ?? this.config],
    ]);
    if (record.construct) return record.construct(new Map([...this.serviceValues(), ...values])) as T;
    const child = new Container({ parent: this.container, autobind: true });
    for (const [token, value] of values) child.bind(token).toConstantValue(value);
    child.bind(record.cls).toSelf();
    return child.get(record.cls) as T;
  }

  pluginStates(): PluginState[] {
    return [...this.plugins.values()].map((entry) => entry.state);
  }

  failedPlugins(): PluginState[] {
    return this.pluginStates().filter((state) => state.status === 'failed');
  }

  /** The logger the kernel was built with, for parts created outside the container (a trainer composed around an algorithm). */
  logger<T>(): T | undefined {
    return this.container.isBound(Tokens.Logger) ? this.container.get<T>(Tokens.Logger) : undefined;
  }

  private serviceValues(): Map<string, unknown> {
    const values = new Map<string, unknown>([[Tokens.Kernel, this]]);
    const logger = this.logger();
    if (logger !== undefined) values.set(Tokens.Logger, logger);
    return values;
  }

  private pendingDeclaration(kind: ExtensionKind, id: string): PluginEntry | undefined {
    const entry = this.declared.get(declaredKey(kind, id));
    return entry?.state.status === 'pending' ? entry : undefined;
  }

  private load(entry: PluginEntry): Promise<void> {
    entry.loading ??= this.import(entry);
    return entry.loading;
  }

  private async import(entry: PluginEntry): Promise<void> {
    let loaded: LoadedPlugin;
    try {
      loaded = await loadPluginContributions(entry.manifest!, entry.importer);
    } catch (error) {
      this.fail(entry, asPluginError(entry.state.name, error));
      return;
    }
    this.settle(entry, () => loaded);
  }

  /** Registers what a plugin delivered, or records why it failed. */
  private settle(entry: PluginEntry, deliver: () => LoadedPlugin): void {
    try {
      const { records, undeclared } = deliver();
      this.registry.addAll(records);
      entry.state.contributions = records.map(({ kind, id, metadata }) => ({ kind, id, ...(metadata.description ? { description: metadata.description } : {}) }));
      entry.state.warnings = undeclared.map((problem) => `plugin ${entry.state.name}: ${problem}`);
      entry.state.status = 'loaded';
      this.warn(entry.state.warnings);
    } catch (error) {
      this.fail(entry, asPluginError(entry.state.name, error));
    }
  }

  private fail(entry: PluginEntry, error: Error): void {
    entry.state.status = 'failed';
    entry.state.error = error;
  }

  private addFailedPlugin(name: string, error: Error): void {
    this.plugins.set(name, { state: { name, origin: 'dependency', status: 'failed', error, contributions: [], warnings: [] } });
  }

  private warn(messages: readonly string[]): void {
    const logger = this.logger<{ warn?: (message: string) => void }>();
    if (logger) for (const message of messages) logger.warn?.(message);
  }
}

function declaredKey(kind: ExtensionKind, id: string): string {
  return `${kind}\u0000${id}`;
}
