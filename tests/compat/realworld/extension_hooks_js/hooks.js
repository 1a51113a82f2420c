async function extensionHook(hookName, context) {
  if (hookName === 'beforeAll') {
    context.suite.tests.push({
      vars: { body: 'extra test', language: 'Latin' },
      assert: [{ type: 'contains', value: 'Pirate Latin' }],
    });
    return context;
  }
  if (hookName === 'beforeEach') {
    context.test.vars.language = `Pirate ${context.test.vars.language}`;
    return context;
  }
  if (hookName === 'afterAll') {
    console.error(`ran ${context.results.length} results`);
  }
}

module.exports = extensionHook;
