/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // aedes 1.x and hexy (node-opcua-debug) ship ESM; let ts-jest turn them into CJS.
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true, ignoreDeprecations: '6.0', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(aedes|aedes-.*|hexy)/)'],
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  testTimeout: 30000,
  maxWorkers: 2,
};
