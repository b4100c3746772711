import { afterEach } from 'vitest';
import { printLogs } from './support/process-logs.ts';

afterEach(({ task }) => {
  if (task.result?.state === 'fail') printLogs();
});
