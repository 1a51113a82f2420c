const slug = require('./lib/slug');

module.exports = function (vars, context) {
  return { slug: slug(vars.title), word_count: vars.title.split(/\s+/).length };
};
