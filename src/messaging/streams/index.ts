export { type DeadLetter, type ReadDeadLettersOptions, readDeadLetters } from './dead-letters.js'
export { DATA_FIELD, type StreamKeyspace, streamKeyspace } from './keyspace.js'
export type { StreamCommonOptions } from './options.js'
export {
  createStreamProducer,
  type StreamProducer,
  type StreamProducerOptions,
  type Trim,
} from './producer.js'
export {
  createStreamWorker,
  type StreamEntryInfo,
  type StreamHandler,
  type StreamWorker,
  type StreamWorkerOptions,
  type StreamWorkerStats,
} from './worker.js'
