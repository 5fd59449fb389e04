export { Pipeline, type PipelineSetOptions } from './pipeline.js'
export { defineScript, type Script, type ScriptSpec } from './script.js'
export type { Transaction, WatchOptions } from './watch.js'
