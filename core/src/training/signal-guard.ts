const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof SIGNALS)[number];

/** The shell's code for a process ended by `signal` (128 + its number): 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/**
 * Turns SIGINT/SIGTERM into a stop request that the training loop honours between steps (it then saves a
 * checkpoint and returns), instead of killing the process mid-write. A second signal exits at once: the
 * checkpoint write is atomic, so that never corrupts a complete checkpoint.
 */
export class SignalGuard {
  private received?: StopSignal;
  private readonly handlers = new Map<StopSignal, () => void>();

  get stopRequested(): StopSignal | undefined {
    return this.received;
  }

  /** Asks the loop to stop, as a signal would (tests, embedding applications). */
  requestStop(signal: StopSignal = 'SIGINT'): void {
    this.received ??= signal;
  }

  install(onFirst?: (signal: StopSignal) => void): void {
    for (const signal of SIGNALS) {
      const handler = () => {
        if (this.received) process.exit(signalExitCode(signal));
        this.received = signal;
        onFirst?.(signal);
      };
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  uninstall(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }
}
