import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const resolve = {
  alias: [
    { find: /^redis-expert$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    {
      find: /^redis-expert\/(.*)$/,
      replacement: fileURLToPath(new URL('./src/$1/index.ts', import.meta.url)),
    },
  ],
}

// Each test file starts its own server(s) on free ports, so files run in parallel.
const shared = {
  pool: 'forks',
  fileParallelism: true,
  testTimeout: 30_000,
  hookTimeout: 60_000,
} as const

/**
 * Run a second time against Valkey (valkey-server, through REDIS_EXPERT_SERVER): the client,
 * the keyspace's typed operations, the guard and the atomic layer — their Cluster tests
 * included. `vitest run --project redis` (or `--project valkey`) runs one side only.
 */
const VALKEY_TESTS = [
  'test/client/**/*.test.ts',
  'test/keyspace/**/*.test.ts',
  'test/guard/**/*.test.ts',
  'test/atomic/**/*.test.ts',
]

export default defineConfig({
  resolve,
  test: {
    // The files wait on servers, sockets and timers far more than they compute: vitest's default
    // (one worker fewer than the CPUs) ran them one at a time on a two-core machine; two at a time
    // took the suite from 11.8 to 7.4 minutes there, every test passing.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Once per run, not per project: names the run, and fails it if a server outlives its test.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { resolve, test: { ...shared, name: 'redis', include: ['test/**/*.test.ts'] } },
      {
        resolve,
        test: { ...shared, name: 'valkey', include: VALKEY_TESTS, env: { REDIS_EXPERT_SERVER: 'valkey' } },
      },
    ],
  },
})
