import { createHash } from 'node:crypto';

export const citationPattern = /\[(\d+)\]/g;

export function citations(text) {
  return [...text.matchAll(citationPattern)].map((m) => Number(m[1]));
}

export function fingerprint(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
