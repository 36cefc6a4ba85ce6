/** Jest for `npm run test:scale`: the slow scale tests (test/scale/*.scale-test.ts), run by CI after `npm test`. */
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['**/*.scale-test.ts'], testTimeout: 600000 };
