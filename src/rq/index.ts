/**
 * redis-expert/rq — interop with Python RQ 1.13 (rq.serializers.JSONSerializer): a producer
 * whose jobs Python workers run, and a worker for jobs Python enqueued. See docs/rq.md.
 */
export {
  callString,
  decodeJobData,
  decodeResultEntry,
  encodeJobData,
  type JobCall,
  type JsonValue,
  parseUtc,
  type ResultEntry,
  type ResultType,
  type RqJobStatus,
  utcformat,
} from './format.js'
export { type ResultOptions, RqJob, type RqJobInfo } from './job.js'
export { RQ_NAMESPACE, type RqKeys, type RqKeyspace, rqKeyspace } from './keyspace.js'
export type { RetryOption, RqTimeout, RqTtl } from './options.js'
export { type EnqueueOptions, RqQueue, type RqQueueOptions } from './queue.js'
export { type RqHandler, type RqTask, RqWorker, type RqWorkerOptions, type RqWorkerStats } from './worker.js'
