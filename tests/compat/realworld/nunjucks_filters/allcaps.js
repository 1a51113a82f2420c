module.exports = function (str) {
  return String(str).toUpperCase();
};
