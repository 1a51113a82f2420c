const cases = [
  ['2 + 2', '4'],
  ['10 / 4', '2.5'],
  ['7 * 6', '42'],
];

module.exports = async function () {
  return cases.map(([expr, answer], i) => ({
    description: `arithmetic ${i + 1}`,
    vars: { expr, answer },
    assert: [
      { type: 'contains', value: answer },
      { type: 'javascript', value: `output.includes('${expr}')` },
    ],
  }));
};
