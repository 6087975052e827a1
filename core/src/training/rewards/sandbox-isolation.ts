import { findExecutable } from '../../util/find-executable.js';

/**
 * `namespaces`: unprivileged user + network + mount + PID namespaces and a chroot that shows only /usr
 * (read-only), a private tmpfs working directory and /tmp. `limits-only`: resource limits, a temporary working
 * directory and a process group, nothing more (see docs/security.md for what that leaves open).
 */
export type SandboxIsolation = 'namespaces' | 'limits-only';

/** uid/gid the sandbox runs as when aligntune runs as root: `nobody`, which owns nothing. */
export const SANDBOX_UID = 65534;

/** Where the working directory appears inside the namespace sandbox. */
export const SANDBOX_WORKDIR = '/sandbox';

/**
 * Runs inside the new namespaces as the namespace's root (an unprivileged user outside). Builds a root on
 * tmpfs with /usr and the extra read-only paths bound in, the working files copied to a size-limited tmpfs,
 * /dev's harmless nodes and a fresh /proc (our own PID namespace), then chroots and execs the limited command.
 * Arguments: root dir, staged work dir, disk bytes, count of extra paths, the paths, then the command.
 */
const SETUP_SCRIPT = `set -e
PATH=/usr/sbin:/usr/bin:/sbin:/bin
R=$1; W=$2; DISK=$3; N=$4; shift 4
mount -t tmpfs -o size=1m,mode=755 aligntune-root "$R"
ro_bind() {
  mkdir -p "$R$1"; mount --rbind "$1" "$R$1"
  mount -o remount,bind,ro,nosuid "$R$1" 2>/dev/null || mount -o remount,bind,ro,nosuid,nodev "$R$1"
}
ro_bind /usr
for d in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"; elif [ -d "/$d" ]; then ro_bind "/$d"; fi
done
while [ "$N" -gt 0 ]; do ro_bind "$1"; shift; N=$((N - 1)); done
mkdir -p "$R${SANDBOX_WORKDIR}" "$R/tmp" "$R/dev" "$R/proc"
mount -t tmpfs -o size="$DISK",mode=1777,nosuid,nodev aligntune-work "$R${SANDBOX_WORKDIR}"
cp -R "$W/." "$R${SANDBOX_WORKDIR}/"
mount -t tmpfs -o size="$DISK",mode=1777,nosuid,nodev aligntune-tmp "$R/tmp"
for n in null zero random urandom; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -o remount,ro,bind "$R"
exec chroot "$R" /bin/sh -c 'cd ${SANDBOX_WORKDIR} && exec "$@"' sh "$@"
`;

export interface IsolationTools {
  unshare?: string;
  setpriv?: string;
  prlimit?: string;
}

export function isolationTools(): IsolationTools {
  return { unshare: findExecutable('unshare'), setpriv: findExecutable('setpriv'), prlimit: findExecutable('prlimit') };
}

/**
 * The privilege drop in front of everything: as root, become `nobody` (RLIMIT_NPROC exempts root, and
 * root's file permissions would reach everything); always set no_new_privs so a setuid binary gains nothing.
 */
export function dropPrivilegesArgs(tools: IsolationTools): string[] {
  if (!tools.setpriv) return [];
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? [`--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups'] : [];
  return [tools.setpriv, ...ids, '--no-new-privs'];
}

/** The argv prefix that enters the namespaces and the chroot; the limited command follows it. */
export function namespaceArgs(tools: IsolationTools, paths: { root: string; work: string }, diskBytes: number, readOnlyPaths: readonly string[]): string[] {
  if (!tools.unshare) throw new Error('namespace isolation needs util-linux unshare');
  const unshare = [tools.unshare, '--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child'];
  const setup = ['/bin/sh', '-c', SETUP_SCRIPT, 'sh', paths.root, paths.work, String(Math.floor(diskBytes)), String(readOnlyPaths.length)];
  return [...dropPrivilegesArgs(tools), ...unshare, ...setup, ...readOnlyPaths];
}
