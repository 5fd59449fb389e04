/**
 * redis-expert/testing — real redis-server processes for tests, benchmarks and examples.
 * Every process is guarded: none outlives the process that started it.
 */
export { findExecutable, redisCliPath, redisServerPath, type ServerKind, serverKind } from './binary.js'
export {
  type ClusterNode,
  type RedisCluster,
  type StartClusterOptions,
  slotRange,
  startCluster,
} from './cluster.js'
export { freePort } from './ports.js'
export {
  type RedisSentinelSetup,
  type SentinelAddress,
  type SentinelNode,
  type StartSentinelOptions,
  startSentinel,
} from './sentinel.js'
export {
  type AclUser,
  type ConfigValue,
  type RedisServer,
  type StartRedisOptions,
  startRedis,
} from './server.js'
