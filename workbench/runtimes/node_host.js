// workbench's Node.js host: calls functions exported by the suite's JavaScript files (assertions,
// transforms, hooks, test generators) and custom JavaScript providers, the way promptfoo (itself a
// Node program) loads them: import() handles ES modules (.mjs, package.json "type": "module",
// `export` syntax) and CommonJS (require of relative files and of packages in the project's
// node_modules). One request per line on stdin:
//   {"id": 1, "file": "/abs/x.js", "fn": "name" | "", "args": [...],
//    "style": "assertion" | "transform" | "value" | "provider"}
// ("provider": args are [options, prompt, context]). One JSON envelope per line on the file
// descriptor given as the argument (stdout stays free).
'use strict';
const fs = require('fs');
const readline = require('readline');
const { pathToFileURL } = require('url');
const { __wb_envelope: ser, __wb_error: err } = require('./envelope.js');

const OUT = Number(process.argv[2]);
// User code's console output goes to stderr, never into the protocol.
for (const k of ['log', 'info', 'debug']) console[k] = console.error;

// A file is imported again when it changes (its mtime is part of the URL, so import() does not
// serve the old version); `key` names the version.
const modules = new Map();
async function load(file) {
  const mtime = fs.statSync(file).mtimeMs;
  const key = `${file}:${mtime}`;
  if (!modules.has(key)) modules.set(key, await import(`${pathToFileURL(file).href}?mtime=${mtime}`));
  return { key, ns: modules.get(key) };
}

// promptfoo's importModule: the default export's default (CommonJS compiled from ES), else the
// default export, else the namespace.
function unwrap(ns) {
  return (ns && ns.default && ns.default.default) || (ns && ns.default) || ns;
}

// promptfoo's importModule + loadFromJavaScriptFile: the module is its default export's default,
// else its default export, else the namespace; a named function is looked up on that (so an ES
// module with a default export hides its named exports, as in promptfoo).
function pick(ns, fn, file) {
  const mod = unwrap(ns);
  const target = fn ? mod[fn] : mod;
  if (fn && typeof target[fn] === 'function') return target[fn];
  if (typeof target === 'function') return target;
  if (target && typeof target.default === 'function') return target.default;
  throw new Error(`${file} must export a function${fn ? ` named ${fn}` : ''} or have a default export as a function`);
}

// promptfoo's importModule alone: the named export (or the module); a function is called, any
// other value (a test generator file exporting an array) is the result.
async function value(ns, fn, args) {
  const mod = unwrap(ns);
  const target = fn ? mod[fn] : mod;
  return typeof target === 'function' ? await target(...args) : target;
}

// promptfoo's getJavascriptTransformFunction (transforms, extension hooks): the module's own
// function of that name, else the module, else its default export.
function pickTransform(ns, fn, file) {
  const mod = unwrap(ns);
  if (fn && Object.prototype.hasOwnProperty.call(mod, fn) && typeof mod[fn] === 'function') return mod[fn];
  if (typeof mod === 'function') return mod;
  if (mod && typeof mod.default === 'function') return mod.default;
  throw new Error(`Transform ${file} must export a function, have a default export as a function, or export the specified function "${fn}"`);
}

// promptfoo's custom JavaScript provider: the default export is a class with
// callApi(prompt, context, options); one instance per (file version, options), made with
// `new Provider(options)` as promptfoo does.
const providers = new Map();
function provider(ns, key, file, options) {
  const instanceKey = `${key}:${JSON.stringify(options)}`;
  if (!providers.has(instanceKey)) {
    const Provider = unwrap(ns);
    if (typeof Provider !== 'function') {
      throw new Error(`${file} must export a provider class (with a callApi method) as its default export`);
    }
    const instance = new Provider(options);
    if (typeof instance.callApi !== 'function') {
      throw new Error(`${file}: the exported provider has no callApi(prompt, context) method`);
    }
    providers.set(instanceKey, instance);
  }
  return providers.get(instanceKey);
}

async function handle(req) {
  try {
    const { key, ns } = await load(req.file);
    if (req.style === 'value') return ser(await value(ns, req.fn, req.args));
    if (req.style === 'provider') {
      const [options, prompt, context] = req.args;
      return ser(await provider(ns, key, req.file, options).callApi(prompt, context, {}));
    }
    const fn = req.style === 'transform' ? pickTransform(ns, req.fn, req.file) : pick(ns, req.fn, req.file);
    return ser(await fn(...req.args));
  } catch (e) {
    return err(e);
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', async (line) => {
  const req = JSON.parse(line);
  const res = await handle(req);
  res.id = req.id;
  fs.writeSync(OUT, JSON.stringify(res) + '\n');
});
rl.on('close', () => process.exit(0));
