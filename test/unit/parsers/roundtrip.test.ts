// Property: any config rendered in the styles real files use (TAB or 4-9 space indents, comments, spaces
// around "=", CRLF-free) parses back to the same virtual services and real servers.
import fc from 'fast-check';
import { ok } from './helpers.js';

const octet = fc.integer({ min: 1, max: 254 });
const ip = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const real = fc.record({ ip, port: fc.integer({ min: 1, max: 65535 }), forward: fc.constantFrom('gate', 'masq', 'ipip'), weight: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }) });
const virtual = fc.record({
  port: fc.integer({ min: 1, max: 65535 }),
  scheduler: fc.constantFrom('rr', 'wrr', 'lc', 'wlc', 'sh', 'dh'),
  checktype: fc.constantFrom('connect', 'negotiate', 'ping', 'off', 'on'),
  reals: fc.array(real, { maxLength: 6 }),
});
const style = fc.record({
  indent: fc.constantFrom('\t', '    ', '     ', '        ', '         ', '\t\t', '  \t'),
  eq: fc.constantFrom('=', ' = ', '  =', '= '),
  comments: fc.boolean(),
});

describe('rendered configs parse back to what was rendered', () => {
  it('for any virtuals, reals and layout style', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(virtual, { maxLength: 8 }), style, async (vs, st) => {
        const lines: string[] = ['checktimeout=3'];
        vs.forEach((v, i) => {
          if (st.comments) lines.push(`# virtual ${i}`);
          lines.push(`virtual${st.eq}10.${i >> 8}.${i & 255}.1:${v.port}`);
          for (const r of v.reals) {
            lines.push(`${st.indent}real${st.eq}${r.ip}:${r.port} ${r.forward}${r.weight !== undefined ? ` ${r.weight}` : ''}`);
            if (st.comments) lines.push(`${st.indent}# note`);
          }
          lines.push(`${st.indent}scheduler${st.eq}${v.scheduler}`, `${st.indent}checktype${st.eq}${v.checktype}${st.comments ? ' # why' : ''}`);
          if (st.comments) lines.push('');
        });
        const c = await ok(`${lines.join('\n')}\n`);
        expect(c.virtuals.map((v) => [v.port, v.scheduler, v.checkType, v.reals.map((r) => [r.address, r.port, r.forward, r.weight])])).toEqual(
          vs.map((v) => [v.port, v.scheduler, v.checktype, v.reals.map((r) => [r.ip, r.port, r.forward, r.weight ?? 1])]),
        );
      }),
      { numRuns: 150 },
    );
  });
});
