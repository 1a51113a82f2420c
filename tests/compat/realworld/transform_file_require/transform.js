const { normalize } = require('./lib/normalize');

module.exports = {
  clean(output, context) {
    return normalize(output);
  },
  toObject(output) {
    return { text: normalize(output), words: normalize(output).split(' ').length };
  },
};
