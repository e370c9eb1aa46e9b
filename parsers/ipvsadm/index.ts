// Public surface of the ipvsadm text formats: save format, thresholds listing, argument builders,
// and libipvs's listing order. IP address helpers live in src/net/ip.ts.
export { formatSave, parseSave, compareServices, compareDests } from './save-format.js';
export type { SaveFormatOptions } from './save-format.js';
export { parseThresholdList } from './list-format.js';
export { opArgs, formatOp, serviceKeyArgs } from './args.js';
export { startDaemonArgs, stopDaemonArgs, daemonParams, parseDaemonList } from './daemon-format.js';
