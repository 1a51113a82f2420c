const BANNED = ['lorem', 'ipsum'];

export default function summaryCheck(output, { vars }) {
  const text = output.toLowerCase();
  const banned = BANNED.filter((w) => text.includes(w));
  const hasTopic = text.includes(vars.topic.toLowerCase());
  const score = (hasTopic ? 0.5 : 0) + (banned.length === 0 ? 0.5 : 0);
  return { pass: score === 1, score, reason: `topic ${hasTopic}, banned ${banned.join(',') || 'none'}` };
}

export function unused() {
  return true;
}
