// Guardrails for a support bot's replies (ES module, as in a "type": "module" project).
const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;

export function noEmailAddress(output) {
  return !EMAIL.test(output);
}

export function mentionsOrder(output, context) {
  const id = context.vars.order_id;
  const found = output.includes(id);
  return { pass: found, score: found ? 1 : 0, reason: found ? 'order id quoted' : `order ${id} not mentioned` };
}

export function politeness(output) {
  const words = ['please', 'thank', 'sorry'];
  const hits = words.filter((w) => output.toLowerCase().includes(w)).length;
  return hits / words.length;
}
