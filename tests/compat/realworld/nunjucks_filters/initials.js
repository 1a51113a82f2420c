module.exports = (name, sep = '.') =>
  String(name)
    .split(/\s+/)
    .map((w) => w[0])
    .join(sep) + sep;
