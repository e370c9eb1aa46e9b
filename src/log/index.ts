// Public surface of the log module: the Logger interface, the ldirectord logger and the message catalogue.
export type { Logger } from './types.js';
export { nullLogger, MemoryLogger } from './types.js';
export { LdLogger, logTargetFor } from './logger.js';
export type { LogTarget, LdLoggerOptions } from './logger.js';
export { ctime, fileLine } from './format.js';
export { msg, LD_VERSION } from './messages.js';
