/**
 * redis-expert/celery — Python Celery interop on kombu's Redis transport and Celery's Redis
 * result backend: send tasks to Python workers and read their results, and work tasks Python sends.
 */
export { Celery, type SendTaskOptions } from './celery.js'
export type { JsonValue } from './json.js'
export {
  BINDING_PREFIX,
  DEAD_LETTER_PREFIX,
  PRIORITY_STEPS,
  priorityList,
  RESULT_PREFIX,
  resultKey,
  SEP,
  UNACKED,
  UNACKED_INDEX,
} from './keys.js'
export { decodeTask, encodeTask, type IncomingTask, type OutgoingTask } from './message.js'
export {
  type CeleryException,
  exceptionOf,
  READY_STATES,
  type ResultMeta,
  TaskError,
  type TaskState,
} from './meta.js'
export type { CeleryOptions, ResolvedCeleryOptions } from './options.js'
export { AsyncResult, type GetOptions } from './result.js'
export {
  CeleryWorker,
  type CeleryWorkerOptions,
  type CeleryWorkerStats,
  type TaskHandler,
  type TaskInfo,
} from './worker.js'
