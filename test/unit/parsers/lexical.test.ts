// Upstream's lexical rules (spec §2.1): indentation, blank lines, comments, quoting, case, CRLF.
import { ok, errors, block, parse } from './helpers.js';
import { formatDiagnostic } from '../../../parsers/ldirectord-cf/index.js';

describe('indentation decides block membership as upstream does', () => {
  it.each([
    ['a TAB', '\treal=10.0.0.2:80 gate'],
    ['four spaces', '    real=10.0.0.2:80 gate'],
    ['nine spaces', '         real=10.0.0.2:80 gate'],
    ['space then TAB', ' \treal=10.0.0.2:80 gate'],
    ['two TABs', '\t\treal=10.0.0.2:80 gate'],
  ])('a line indented by %s belongs to the block', async (_name, line) => {
    const c = await ok(`virtual=10.0.0.1:80\n${line}\n`);
    expect(c.virtuals[0]!.reals.map((r) => r.address)).toEqual(['10.0.0.2']);
  });

  it('mixes tabs and 4 to 9 space indents inside one block', async () => {
    const c = await ok('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n    real=10.0.0.3:80 gate\n         real=10.0.0.4:80 gate\n  \tscheduler=rr\n');
    expect(c.virtuals[0]!.reals).toHaveLength(3);
    expect(c.virtuals[0]!.scheduler).toBe('rr');
  });

  it.each([
    ['one space', ' real=10.0.0.2:80 gate'],
    ['three spaces', '   real=10.0.0.2:80 gate'],
  ])('a line indented by %s ends the block and is an Unknown command', async (_n, line) => {
    expect(await errors(`virtual=10.0.0.1:80\n${line}\n`)).toEqual([expect.stringMatching(/^2: Unknown command {2,4}real=10\.0\.0\.2:80 gate \(lines of a virtual block must be indented by at least 4 columns/)]);
  });

  it('a blank line ends the block, and the indented lines after it are Unknown commands with a hint', async () => {
    const e = await errors('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\n\treal=10.0.0.3:80 gate\n');
    expect(e).toEqual([expect.stringContaining('4: Unknown command \treal=10.0.0.3:80 gate')]);
    expect(e[0]).toContain('blank line at line 3 ended the virtual block');
  });

  it('a lone TAB line is blank: it ends the block too', async () => {
    expect(await errors('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\t\n\tscheduler=rr\n')).toEqual([
      expect.stringContaining('4: Unknown command \tscheduler=rr'),
    ]);
  });

  it('a whitespace-only line of 5 or more columns inside a block is an Unknown command', async () => {
    expect(await errors('virtual=10.0.0.1:80\n\t \n')).toEqual(['2: Unknown command "\t "']);
  });

  it('a new virtual line directly after a block starts the next block', async () => {
    const c = await ok('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\nvirtual=10.0.0.1:443\n\treal=10.0.0.2:443 gate\n');
    expect(c.virtuals.map((v) => v.port)).toEqual([80, 443]);
  });
});

describe('comments are handled differently on global and block lines', () => {
  it.each([
    ['column 0', '# note'],
    ['indented', '\t# note'],
    ['indented by spaces', '      # note'],
  ])('a %s comment line inside a block keeps the block open', async (_n, comment) => {
    const c = await ok(`virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n${comment}\n\treal=10.0.0.3:80 gate\n`);
    expect(c.virtuals[0]!.reals).toHaveLength(2);
  });

  it('a trailing comment on a block line is stripped', async () => {
    const c = await ok(block(['real=10.0.0.2:80 gate 3 # web', 'scheduler=rr# x']));
    expect(c.virtuals[0]!.reals[0]!.weight).toBe(3);
    expect(c.virtuals[0]!.scheduler).toBe('rr');
  });

  it('"#" inside a quoted block value starts a comment, so the quote is never closed', async () => {
    expect(await errors(block(['request="/index.html#frag"']))).toEqual([
      expect.stringMatching(/^2: Unknown command "\trequest="\/index\.html#frag""/),
    ]);
  });

  it('a trailing comment on a numeric global line is harmless (first digit run)', async () => {
    expect((await ok('checkinterval=5 # seconds\n')).global.checkInterval).toBe(5);
  });

  it.each([
    ['a trailing comment', 'quiescent=yes # c\n'],
    ['a trailing blank', 'quiescent=yes \n'],
    ['a CRLF line end', 'quiescent=yes\r\n'],
  ])('a global yes/no value with %s is rejected as upstream does', async (_n, text) => {
    expect(await errors(text)).toEqual([expect.stringMatching(/^1: quiescent must be 'yes' or 'no'/)]);
  });

  it("a block yes/no value with a trailing comment keeps the blank before '#' and is rejected", async () => {
    expect(await errors(block(['quiescent=yes # c']))).toEqual([expect.stringMatching(/^2: quiescent must be 'yes' or 'no'/)]);
  });

  it('a quoted global (logfile) ignores an unquoted trailing comment', async () => {
    expect((await ok('logfile="/tmp/ld.log" # here\n')).global.logfile).toBe('/tmp/ld.log');
  });
});

describe('CRLF files', () => {
  it('are read with the same meaning when no yes/no value is involved', async () => {
    const text = 'checktimeout=3\r\nvirtual=10.0.0.1:80\r\n\treal=10.0.0.2:80 gate 2\r\n\tservice=http\r\n\trequest="index.html"\r\n\treceive="fake"\r\n';
    const c = await ok(text);
    const v = c.virtuals[0]!;
    expect([v.checkTimeout, v.reals[0]!.weight, v.service, v.request, v.receive]).toEqual([3, 2, 'http', '/index.html', 'fake']);
  });
});

describe('spaces around "=" are allowed everywhere', () => {
  it('reads globals, virtual and block directives with spaces around "="', async () => {
    const c = await ok('checktimeout = 4\nvirtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate\n\tscheduler =  lc\n');
    expect([c.global.checkTimeout, c.virtuals[0]!.scheduler, c.virtuals[0]!.reals.length]).toEqual([4, 'lc', 1]);
  });
});

describe('directive names are case-sensitive and scoped', () => {
  it.each([
    ['a capitalised global', 'CheckTimeout=3\n', /^1: Unknown command CheckTimeout=3 \(directive names are lower-case: checktimeout\)/],
    ['an indented global', '   checktimeout=3\n', /^1: Unknown command {4}checktimeout=3 \(global directives must start in column 0;/],
    ['a per-virtual directive at top level', 'scheduler=rr\n', /^1: Unknown command scheduler=rr \(scheduler is only valid inside a virtual block/],
    ['a global-only directive in a block', block(['autoreload=yes']), /^2: Unknown command "\tautoreload=yes" \(autoreload is a global directive/],
    ['an unknown word', 'include=/etc/other.cf\n', /^1: Unknown command include=\/etc\/other\.cf$/],
    ['timeout', 'timeout=3\n', /^1: timeout directive deprecated in favour of checktimeout and negotiatetimeout$/],
    ['global connecttimeout', 'connecttimeout=3\n', /^1: connecttimeout directive deprecated in favour of negotiatetimeout$/],
    ['block connecttimeout', block(['connecttimeout=3']), /^2: connecttimeout directive deprecated in favour of negotiatetimeout$/],
    ['timeout in a block', block(['timeout=3']), /^2: Unknown command "\ttimeout=3"/],
    ['an unquoted logfile', 'logfile=/var/log/x.log\n', /^1: Unknown command logfile=\/var\/log\/x\.log \(the value of logfile must be in double quotes/],
    ['an unquoted request', block(['request=/index.html']), /^2: Unknown command "\trequest=\/index\.html" \(the value of request must be in double quotes/],
  ])('%s is rejected', async (_n, text, re) => {
    expect(await errors(text)).toEqual([expect.stringMatching(re)]);
  });

  it('reads an INI-looking file as upstream does: Unknown command [section]', async () => {
    const e = await errors('# Config::Ldirectord\n[vip]\neth0:1=192.168.1.111\n[default]\nquiescent=yes\n');
    expect(e[0]).toBe('2: Unknown command [vip]');
    expect(e).toContain('4: Unknown command [default]');
  });
});

describe('diagnostics', () => {
  it('collects every error instead of stopping at the first, in line order, each rendered FILE:LINE: message', async () => {
    const r = await parse('fork=maybe\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 route\n\tservice=gopher\nbogus=1\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "t.cf:1: fork must be 'yes' or 'no'",
      't.cf:3: forward method must be gate, masq or ipip',
      expect.stringMatching(/^t\.cf:4: service must be dns, ftp, /),
      't.cf:5: Unknown command bogus=1',
    ]);
  });

  it('rejects a duplicate virtual at the line that ended the second block', async () => {
    expect(await errors('virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\nvirtual=10.0.0.1:http\n\treal=10.0.0.3:80 gate\n\nchecktimeout=3\n')).toEqual([
      '5: duplicate virtual server (tcp:10.0.0.1:80)',
    ]);
  });

  it('accepts the same address with tcp and udp as two virtuals', async () => {
    const c = await ok('virtual=10.0.0.1:80\nvirtual=10.0.0.1:80\n\tprotocol=udp\n');
    expect(c.virtuals.map((v) => v.id)).toEqual(['tcp:10.0.0.1:80', 'udp:10.0.0.1:80']);
  });

  it('repeated directives: the last one wins', async () => {
    const c = await ok('checkinterval=5\ncheckinterval=7\n' + block(['scheduler=rr', 'scheduler=wlc']));
    expect([c.global.checkInterval, c.virtuals[0]!.scheduler]).toEqual([7, 'wlc']);
  });

  it('an empty file is a valid config with no virtual services', async () => {
    expect((await ok('')).virtuals).toEqual([]);
  });
});
