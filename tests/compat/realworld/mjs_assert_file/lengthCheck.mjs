export default function lengthCheck(output, { vars }) {
  const limit = Number(vars.max_words);
  const n = output.trim().split(/\s+/).length;
  return { pass: n <= limit, score: Math.min(1, limit / n), reason: `${n} words (limit ${limit})` };
}

export const startsWithCapital = (output) => /^[A-Z]/.test(output);
