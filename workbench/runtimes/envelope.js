// The result envelope both JavaScript runtimes send back (decoded by runtimes/jsvalues.py
// decode_envelope): what JSON alone loses (undefined, NaN and Infinity, functions, the typeof)
// beside the JSON text. Node.js (node_host.js) requires this file; the embedded V8
// (javascript.py) evaluates it as a script, where the two functions become globals.
'use strict';

function __wb_envelope(r) {
  const t = typeof r;
  if (t === 'undefined') return { t: 'undefined' };
  if (t === 'function') return { t: 'function' };
  if (t === 'number' && !isFinite(r)) return { t: 'number', special: String(r) };
  if (t === 'bigint') return { t: 'number', v: Number(r) };
  const v = JSON.stringify(r, (k, val) => (typeof val === 'number' && !isFinite(val) ? { __wb_special: String(val) } : val));
  return { t: r === null ? 'null' : Array.isArray(r) ? 'array' : t, json: v };
}

function __wb_error(e) {
  const message = e && e.message !== undefined ? e.message : String(e);
  return { t: 'error', message, name: e && e.name };
}

if (typeof module !== 'undefined') module.exports = { __wb_envelope, __wb_error };
