/**
 * Two projects: `unit` runs in a second; `e2e` starts the real service (../../dist/main.js, built
 * by the root `npm run build`) and Debian's Chromium. Files end in `.test.ts` so that the root
 * jest config, which collects `test/**\/*.spec.ts` anywhere below the repo, does not pick them up.
 */
const moduleNameMapper = { '^@/(.*)$': '<rootDir>/src/$1' };

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      transform,
      moduleNameMapper,
    },
  ],
};
