/** Structured logging as every part sees it; pino satisfies it on Node. */
export interface Logger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
