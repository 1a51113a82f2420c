module.exports = {
  noApology: (output) => !/sorry|apolog/i.test(output),
  mentionsNextStep: (output) => ({
    pass: /next step|you can/i.test(output),
    score: /next step|you can/i.test(output) ? 1 : 0.2,
    reason: 'looks for a next step',
  }),
};
