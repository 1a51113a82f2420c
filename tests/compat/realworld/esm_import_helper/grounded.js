import { citations, fingerprint } from './lib/citations.js';

export async function cited(output, context) {
  const refs = citations(output);
  const max = Number(context.vars.sources);
  const valid = refs.filter((r) => r >= 1 && r <= max);
  if (refs.length === 0) return { pass: false, score: 0, reason: 'no citations' };
  return {
    pass: valid.length === refs.length,
    score: valid.length / refs.length,
    reason: `${valid.length}/${refs.length} citations valid (${fingerprint(output)})`,
  };
}
