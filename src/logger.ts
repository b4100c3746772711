/** Structured logging as every part sees it; pino satisfies it on Node. */
export interface Logger {
  /** Absent in a sink that keeps no debug lines (the Worker's console, tests' quiet loggers). */
  debug?(context: object, message: string): void;
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
