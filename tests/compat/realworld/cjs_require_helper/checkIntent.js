const { extractJson } = require('./extract');

module.exports = (output, context) => {
  const parsed = extractJson(output);
  if (!parsed) return { pass: false, score: 0, reason: 'no JSON object in the answer' };
  const ok = parsed.intent === context.vars.expected_intent;
  return { pass: ok, score: ok ? 1 : 0, reason: ok ? 'intent matches' : `intent ${parsed.intent}` };
};
