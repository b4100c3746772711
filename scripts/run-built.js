// `npm start` and `npm run token`: runs a built entry, dist/server/<name>.js,
// in this process. Plain JavaScript, so that it runs where tsx is not
// installed; package.json runs it with `exec`, so that npm's shell gives way
// to this process and the SIGTERM npm forwards reaches the server itself.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [name = '', ...args] = process.argv.slice(2);
const entry = fileURLToPath(new URL(`../dist/server/${name}.js`, import.meta.url));
if (!/^[a-z-]+$/.test(name) || !existsSync(entry)) {
  console.error(`chat: dist/server/${name}.js is missing; run npm run build`);
  process.exit(1);
}
// The entry reads its arguments as when run as `node dist/server/<name>.js ...`.
process.argv = [process.argv[0], entry, ...args];
await import(pathToFileURL(entry).href);
