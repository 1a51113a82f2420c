module.exports = {
  toneCheck(output, context) {
    const shouting = (output.match(/[A-Z]{4,}/g) || []).length;
    const exclaim = (output.match(/!/g) || []).length;
    const score = Math.max(0, 1 - 0.25 * (shouting + exclaim));
    return {
      pass: score >= 0.5,
      score,
      reason: `${shouting} shouted words, ${exclaim} exclamation marks`,
      namedScores: { calm: score },
    };
  },
  hasGreeting: (output) => /^(hi|hello|dear)/i.test(output),
};
