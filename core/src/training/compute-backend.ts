import { ConfigValidationError } from '../config/config-validation-error.js';
import { HOST_DEVICE, type ComputeConfig } from '../config/compute-config.js';
import type { GraphExecutor } from '../engine/graph-executor.js';
import type { ComputeBackendOptions } from '../kernel/contribution.js';
import type { Kernel } from '../kernel/kernel.js';
import { ExtensionPoints } from './extension-points.js';

/** What `compute:` asks for; every field optional (scripts and rewards without a config get the default). */
export type ComputeRequest = Partial<Pick<ComputeConfig, 'backend' | 'device' | 'device_id'>>;

/** One installed compute backend as seen from this machine (`aligntune plugins` prints it). */
export interface ComputeBackendStatus {
  readonly id: string;
  /** The device it serves; undefined when its plugin does not load. */
  readonly device?: string;
  readonly priority: number;
  /** Why it cannot run here (its plugin failed, or its probe said so); undefined when it can. */
  readonly unavailable?: string;
}

/** Every installed compute backend with whether it can run here, highest priority first (plugins are imported to ask). */
export async function computeBackendStatuses(kernel: Kernel, deviceId = 0): Promise<ComputeBackendStatus[]> {
  const statuses = await Promise.all(kernel.ids(ExtensionPoints.computeBackend.kind).map((id) => computeBackendStatus(kernel, id, deviceId)));
  return statuses.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
}

async function computeBackendStatus(kernel: Kernel, id: string, deviceId: number): Promise<ComputeBackendStatus> {
  const declared = await kernel.declaredOptions<ComputeBackendOptions>(ExtensionPoints.computeBackend.kind, id);
  if ('failure' in declared) return { id, priority: 0, unavailable: `its plugin does not load: ${declared.failure}` };
  const { options } = declared;
  const status = { id, device: options.device, priority: options.priority ?? 0 };
  if (typeof options.device !== 'string') return { ...status, unavailable: 'it declares no device (@ComputeBackend(id, { device }))' };
  try {
    const unavailable = await options.probe?.({ deviceId });
    return unavailable === undefined ? status : { ...status, unavailable };
  } catch (error) {
    return { ...status, unavailable: `its probe failed: ${(error as Error).message}` };
  }
}

/**
 * The compute backend a run uses: `compute.backend` when set (refused if it cannot run here or serves another
 * device), else the highest-priority available backend of `compute.device` (default: the host CPU). The one
 * place a backend is chosen; refusals are config errors (exit 2) that say what is installed and why not.
 */
export async function resolveComputeBackend(kernel: Kernel, request: ComputeRequest = {}): Promise<string> {
  const deviceId = request.device_id ?? 0;
  if (request.backend !== undefined && kernel.has(ExtensionPoints.computeBackend.kind, request.backend)) {
    // only the chosen backend's plugin is imported
    return chosenBackend(await computeBackendStatus(kernel, request.backend, deviceId), request.device);
  }
  const device = request.device ?? HOST_DEVICE;
  const usable = request.backend === undefined ? await firstUsableBackend(kernel, device, deviceId) : undefined;
  if (usable) return usable;
  // only to say why not: every installed backend is imported and probed
  const statuses = await computeBackendStatuses(kernel, deviceId);
  if (request.backend !== undefined) refuse('compute.backend', `unknown compute backend "${request.backend}"; installed: ${describe(statuses)}`);
  const serving = statuses.filter((s) => s.device === device);
  const path = request.device === undefined ? 'compute' : 'compute.device';
  if (serving.length === 0) {
    refuse(path, `no installed compute backend serves device "${device}": install a compute backend plugin for ${device}; installed: ${describe(statuses)}`);
  }
  return refuse(path, `no compute backend for device "${device}" can run here: ${describe(serving)}`);
}

/**
 * The highest-priority backend of `device` that can run here. Ranked by what each declares (its manifest's traits,
 * so its plugin is not imported, else its decorator), then probed best first: usually only the chosen backend's
 * plugin is imported.
 */
async function firstUsableBackend(kernel: Kernel, device: string, deviceId: number): Promise<string | undefined> {
  const kind = ExtensionPoints.computeBackend.kind;
  const declared = await Promise.all(kernel.ids(kind).map(async (id) => ({ id, declared: await kernel.traits<ComputeBackendOptions>(kind, id) })));
  const ranked = declared
    .flatMap(({ id, declared }) => ('options' in declared && declared.options.device === device ? [{ id, priority: declared.options.priority ?? 0 }] : []))
    .sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  for (const { id } of ranked) if ((await computeBackendStatus(kernel, id, deviceId)).unavailable === undefined) return id;
  return undefined;
}

function chosenBackend(status: ComputeBackendStatus, device: string | undefined): string {
  if (status.unavailable !== undefined) refuse('compute.backend', `compute backend "${status.id}" cannot run here: ${status.unavailable}`);
  if (device !== undefined && status.device !== device) refuse('compute.device', `compute backend "${status.id}" serves device "${status.device}", not "${device}"`);
  return status.id;
}

/** `cpu (device cpu)` or `cuda (device cuda; unavailable: no CUDA driver)`, joined; "none" when nothing is installed. */
function describe(statuses: readonly ComputeBackendStatus[]): string {
  if (statuses.length === 0) return 'none';
  return statuses.map((s) => `${s.id} (device ${s.device ?? '?'}${s.unavailable === undefined ? '' : `; unavailable: ${s.unavailable}`})`).join(', ');
}

function refuse(path: string, message: string): never {
  throw new ConfigValidationError([{ path, message }]);
}

/**
 * Creates the chosen backend; it receives `device_id` as its params. Trainers, the evaluator and plugins (a
 * classifier reward) call this. Under several processes per node, `localRank` (the process's rank on its node) moves
 * an accelerator backend to device `device_id + localRank`: one rank per GPU, as torchrun's `cuda:{LOCAL_RANK}`; the
 * host CPU is one device that every rank shares.
 */
export async function createComputeBackend(kernel: Kernel, request: ComputeRequest = {}, localRank = 0): Promise<GraphExecutor> {
  const id = await resolveComputeBackend(kernel, request);
  const deviceId = (request.device_id ?? 0) + (localRank > 0 && (await backendDevice(kernel, id)) !== HOST_DEVICE ? localRank : 0);
  return kernel.create(ExtensionPoints.computeBackend, id, { params: { device_id: deviceId } });
}

async function backendDevice(kernel: Kernel, id: string): Promise<string | undefined> {
  const declared = await kernel.traits<ComputeBackendOptions>(ExtensionPoints.computeBackend.kind, id);
  return 'options' in declared ? declared.options.device : undefined;
}
