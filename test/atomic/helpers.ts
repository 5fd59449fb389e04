export { commandCalls, commandsBetween as delta } from '../support/commandstats.js'
