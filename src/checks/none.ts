// checktype=on and service=none (always up) and checktype=off (never brought up by a check).
import { down, up } from './result.js';
import type { Checker } from './types.js';

/** service=none / checktype=on: no check, always up. */
export const check: Checker = () => Promise.resolve(up('no check'));

/** checktype=off: no check; the real is never brought up by checks. */
export const off: Checker = () => Promise.resolve(down('checktype off'));
