/** A process's output as pino's JSON lines; a line that is not JSON fails the test, since every line should be one. */
export function logLines(output: string): Record<string, any>[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`a line of the output is not JSON: ${line.slice(0, 300)}`);
      }
    });
}

/** pino's level numbers. */
export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
