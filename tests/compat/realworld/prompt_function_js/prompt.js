module.exports = async function ({ vars, provider }) {
  const bullets = vars.points.split(';').map((p) => `- ${p.trim()}`).join('\n');
  return `Write release notes for ${vars.product} (${provider.id}):\n${bullets}`;
};
