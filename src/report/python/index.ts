/** The typed redis-py module generated from a keyspace declaration (`redis-expert codegen python`). */
export { isScript } from './model.js'
export { declarationHashOf, type GeneratedPython, generatePython, type PythonSource } from './module.js'
