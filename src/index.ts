export * from './client/index.js'
export * from './errors.js'
