// Calls a promptfoo custom JavaScript provider: `file://provider.js` / `.mjs` / `.cjs` whose
// default export (CommonJS `module.exports` or ES `export default`) is a class with
// `callApi(prompt, context, options)`. Run by workbench's Node.js host (runtimes/node_host.js);
// one instance per (file version, options), made with `new Provider(options)` as promptfoo does.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const instances = new Map();

export async function callProvider(file, options, prompt, context) {
  const mtime = fs.statSync(file).mtimeMs;
  const key = `${file}:${mtime}:${JSON.stringify(options)}`;
  let provider = instances.get(key);
  if (!provider) {
    const ns = await import(`${pathToFileURL(file).href}?mtime=${mtime}`);
    const Provider = (ns && ns.default && ns.default.default) || (ns && ns.default) || ns;
    if (typeof Provider !== 'function') {
      throw new Error(`${file} must export a provider class (with a callApi method) as its default export`);
    }
    provider = new Provider(options);
    if (typeof provider.callApi !== 'function') {
      throw new Error(`${file}: the exported provider has no callApi(prompt, context) method`);
    }
    instances.set(key, provider);
  }
  return await provider.callApi(prompt, context, {});
}
