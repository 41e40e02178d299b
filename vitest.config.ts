import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts', 'tests/fuzz/**/*.test.ts', 'tests/faults/**/*.test.ts', 'tests/load/**/*.test.ts'],
    globalSetup: ['tests/setup/global.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: run files two at a time; service-backed files share one Redis/Kafka/MLflow.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: 'tests/output/vitest.json' },
  },
});
