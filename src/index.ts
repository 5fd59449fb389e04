export * from './client/index.js'
export * from './codec/index.js'
export * from './errors.js'
export * from './keyspace/index.js'
