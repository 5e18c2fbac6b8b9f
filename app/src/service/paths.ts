// Scripts the service starts in a worker thread or a child process must be JavaScript: beside this module when it
// runs compiled (dist/service), or the compiled copy in dist/service when it runs from its TypeScript sources (tests).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function compiledScript(name: string): URL {
  const own = new URL(`./${name}`, import.meta.url);
  if (existsSync(fileURLToPath(own))) return own;
  const p = fileURLToPath(own);
  const dist = p.replace(/([\\/])src([\\/])service([\\/])([^\\/]+)$/, '$1dist$2service$3$4');
  if (dist !== p && existsSync(dist)) return pathToFileURL(dist);
  throw new Error(`${name} is not built (npm run build)`);
}
