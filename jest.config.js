// Jest runs the TypeScript sources directly through ts-jest in ESM mode. Tests that need a
// separate process (the proxy, the embedded S3 endpoint) spawn the tsc output under dist/,
// which globalSetup builds first.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/emulator/test', '<rootDir>/proxy/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  testTimeout: 120000,
  maxWorkers: 2,
};
