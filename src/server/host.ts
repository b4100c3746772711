/**
 * What a server entry needs from its runtime's process (Node's `process`,
 * Deno's `Deno`), so that reading the configuration and shutting down are
 * written once.
 */
export interface ServerHost {
  readonly env: Record<string, string | undefined>;
  /** The instance id when INSTANCE_ID is unset: host name and process id. */
  readonly defaultInstanceId: string;
  exit(code: number): never;
  /** Calls `handler` on SIGTERM and on SIGINT. */
  onStopSignal(handler: (signal: string) => void): void;
  printError(line: string): void;
}
