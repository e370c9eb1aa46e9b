// Public surface of the ipvsadm text formats: save format, thresholds listing, argument builders.
export { formatSave, parseSave, parseHostPort, compareServices, compareDests } from './save-format.js';
export type { SaveDiagnostic, SaveParseResult, SaveFormatOptions } from './save-format.js';
export { parseThresholdList } from './list-format.js';
export type { ListedDest } from './list-format.js';
export { opArgs, formatOp, serviceKeyArgs, serviceAttrArgs, destKeyArgs, destAttrArgs, defaultNetmask, schedFlagNames } from './args.js';
export { parseIp, formatIp, canonicalIp, prefixToMask4, mask4ToPrefix } from './addr.js';
export type { IpBytes } from './addr.js';
export { startDaemonArgs, stopDaemonArgs, daemonParams, formatDaemonList, parseDaemonList } from './daemon-format.js';
