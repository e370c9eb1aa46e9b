// Every global and per-virtual directive: accepted values, upstream defaults, and upstream's error texts.
import { ok, errors, warnings, block } from './helpers.js';
import type { VirtualService } from '../../../src/model/config.js';
import { checkPort } from '../../../src/health/spec.js';

describe('global directives', () => {
  it('have upstream defaults when absent', async () => {
    expect((await ok('')).global).toEqual({
      checkInterval: 10, checkCount: 1, failureCount: 1, autoreload: false, logfile: '/var/log/ldirectord.log', execute: [],
      fork: false, supervised: false, quiescent: false, readdQuiescent: false, emailAlert: '', emailAlertFreq: 0,
      emailAlertStatus: ['starting', 'running', 'stopping', 'reloading'], cleanStop: true, lines: {},
    });
  });

  it('record the line of each directive (the last one when repeated)', async () => {
    const c = await ok('checktimeout=3\n\nchecktimeout=4\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tscheduler=rr\n');
    expect([c.global.lines, c.virtuals[0]!.lines]).toEqual([{ checktimeout: 3 }, { real: 5, scheduler: 6 }]);
  });

  it.each([
    ['checktimeout=3', 'checkTimeout', 3],
    ['negotiatetimeout=20s', 'negotiateTimeout', 20],
    ['checkinterval=5', 'checkInterval', 5],
    ['failurecount=3', 'failureCount', 3],
    ['fallbackcommand="/usr/local/bin/fb"', 'fallbackCommand', '"/usr/local/bin/fb"'],
    ['autoreload=yes', 'autoreload', true],
    ['callback="/usr/bin/cb --x"', 'callback', '/usr/bin/cb --x'],
    ['logfile="local0"', 'logfile', 'local0'],
    ['fork=yes', 'fork', true],
    ['supervised=yes', 'supervised', true],
    ['quiescent=yes', 'quiescent', true],
    ['readdquiescent=yes', 'readdQuiescent', true],
    ['emailalert="ops@example.com, dev@example.com"', 'emailAlert', 'ops@example.com, dev@example.com'],
    ['emailalertfreq=0', 'emailAlertFreq', 0],
    ['emailalertfreq=600', 'emailAlertFreq', 600],
    ['emailalertstatus=starting, stopping', 'emailAlertStatus', ['starting', 'stopping']],
    ['emailalertstatus=none', 'emailAlertStatus', []],
    ['emailalertfrom="LVS" <lvs@example.com>', 'emailAlertFrom', '"LVS" <lvs@example.com>'],
    ['cleanstop=no', 'cleanStop', false],
    ['smtp=mail.example.com', 'smtp', 'mail.example.com'],
    ['maintenancedir="/etc/ha.d/maint"', 'maintenanceDir', '"/etc/ha.d/maint"'],
  ])('%s sets %s', async (line, field, value) => {
    expect((await ok(`${line}\n`)).global).toMatchObject({ [field]: value });
  });

  it('execute= is repeatable and keeps quotes', async () => {
    expect((await ok('execute=other.cf\nexecute="third.cf"\nexecute=other.cf\n')).global.execute).toEqual(['other.cf', '"third.cf"']);
  });

  it('a bare supervised means yes, with upstream warning', async () => {
    expect(await warnings('supervised\n')).toEqual(['1: please update your config not to use a bare supervised directive']);
    expect((await ok('supervised\n')).global.supervised).toBe(true);
  });

  it('checkcount works but warns it is deprecated', async () => {
    expect(await warnings('checkcount=3\n')).toEqual(["1: checkcount option is deprecated and slated for removal.  please see 'failurecount'"]);
    expect((await ok('checkcount=3\n')).global.checkCount).toBe(3);
  });

  it.each([
    ['checktimeout=0', 'invalid check timeout value'],
    ['checktimeout=abc', 'invalid check timeout value'],
    ['negotiatetimeout=0', 'invalid negotiate timeout value'],
    ['checkinterval=0', 'invalid check interval value'],
    ['checkcount=0', 'invalid check count value'],
    ['failurecount=x', 'invalid failure count value'],
    ['fallbackcommand=', 'invalid fallback command'],
    ['autoreload=true', "autoreload must be 'yes' or 'no'"],
    ['fork=Yes', "fork must be 'yes' or 'no'"],
    ['supervised=1', "supervised must be 'yes' or 'no'"],
    ['supervisedx', "supervised must be 'yes' or 'no'"],
    ['readdquiescent=', "readdquiescent must be 'yes' or 'no'"],
    ['cleanstop=on', "cleanstop must be 'yes' or 'no'"],
    ['emailalert=""', 'no email address specified'],
    ['emailalertfreq=soon', 'invalid email alert frequency'],
    ['emailalertstatus=starting,bogus', 'invalid email alert status at: "bogus"'],
    ['emailalertstatus=none,running', 'invalid email alert status: "running" specified with "none"'],
    ['emailalertfrom=', 'no email from address specified'],
    ['smtp="mail"', 'invalid SMTP server address'],
    ['maintenancedir=', 'maintenance directory not specified'],
  ])('rejects %s: %s', async (line, message) => {
    expect(await errors(`${line}\n`)).toEqual([`1: ${message}`]);
  });
});

describe('per-virtual directives', () => {
  const v = async (...lines: string[]): Promise<VirtualService> => (await ok(block(lines))).virtuals[0]!;

  it('have upstream defaults when absent', async () => {
    expect(await v()).toMatchObject({
      protocol: 'tcp', service: 'http', serviceExplicit: false, checkType: 'negotiate', checkCommand: '/bin/true', checkTimeout: 5,
      negotiateTimeout: 30, checkCount: 1, failureCount: 1, request: '/', receive: '', login: '', passwd: '', database: '',
      secret: '', scheduler: 'wrr', ops: false, httpMethod: 'GET', quiescent: false, emailAlert: '', emailAlertFreq: 0,
      cleanStop: true, reals: [],
    });
  });

  it.each([
    [['request="index.html"'], { request: '/index.html' }],
    [['request="/already"'], { request: '/already' }],
    [['receive="Test Page"'], { receive: 'Test Page' }],
    [['checktype=connect'], { checkType: 'connect' }],
    [['checktype=external-perl'], { checkType: 'external-perl' }],
    [['checktype=off'], { checkType: 'off' }],
    [['checktype=5'], { checkType: 'combined', combinedCount: 5 }],
    [['checkcommand="/usr/lib/check -x"'], { checkCommand: '/usr/lib/check -x' }],
    [['checkcommand=/usr/lib/check'], { checkCommand: '/usr/lib/check' }],
    [['checktimeout=3'], { checkTimeout: 3, negotiateTimeout: 3 }],
    [['negotiatetimeout=7'], { checkTimeout: 7, negotiateTimeout: 7 }],
    [['failurecount=4'], { failureCount: 4 }],
    [['checkport=8080'], { checkPort: 8080 }],
    [['login="bob"'], { login: 'bob' }],
    [['passwd="s3cret"'], { passwd: 's3cret' }],
    [['database="db1"'], { database: 'db1' }],
    [['secret="radpw"'], { secret: 'radpw' }],
    [['load="whatever"'], { load: 'whatever' }],
    [['scheduler=wlc'], { scheduler: 'wlc' }],
    [['scheduler=Wrr'], { scheduler: 'rr' }],
    [['persistent=600'], { persistent: 600 }],
    [['persistent=0'], { persistent: 0 }],
    [['netmask=255.255.255.0'], { netmask: '255.255.255.0' }],
    [['schedflags=sh-port sh-fallback'], { schedFlags: 'sh-port' }],
    [['protocol=udp'], { protocol: 'udp', key: { kind: 'addr', af: 'inet', protocol: 'udp', address: '10.0.0.1', port: 80 } }],
    [['ops=yes'], { ops: true }],
    [['service=https'], { service: 'https', serviceExplicit: true }],
    [['service=ftp'], { service: 'ftp', login: 'anonymous', passwd: 'ldirectord@director' }],
    [['login="me"', 'service=ftp'], { login: 'me', passwd: 'ldirectord@director' }],
    [['service=sip'], { service: 'sip', login: 'ldirectord@director', passwd: '' }],
    [['httpmethod=head'], { httpMethod: 'HEAD' }],
    [['virtualhost="www.example.com"'], { virtualHost: 'www.example.com' }],
    [['virtualhost=www.example.com'], { virtualHost: 'www.example.com' }],
    [['fallbackcommand="/bin/fb start"'], { fallbackCommand: '/bin/fb start' }],
    [['quiescent=yes'], { quiescent: true }],
    [['emailalert="a@example.com"'], { emailAlert: 'a@example.com' }],
    [['emailalertfreq=60'], { emailAlertFreq: 60 }],
    [['emailalertstatus=running'], { emailAlertStatus: ['running'] }],
    [['monitorfile="/var/log/mon.log"'], { monitorFile: '/var/log/mon.log' }],
    [['cleanstop=no'], { cleanStop: false }],
    [['smtp=mail.example.com'], { smtp: 'mail.example.com' }],
    [['servicename=Web farm A'], { serviceName: 'Web farm A' }],
    [['comment=primary site'], { comment: 'primary site' }],
  ])('%j', async (lines, want) => {
    expect(await v(...lines)).toMatchObject(want);
  });

  it('netmask in a virtual6 block is a prefix length', async () => {
    expect((await ok(block(['netmask=64'], 'virtual6=[2001:db8::1]:80'))).virtuals[0]!.netmask).toBe('64');
  });

  it('protocol=fwm is accepted for a firewall mark', async () => {
    expect((await ok(block(['protocol=fwm'], 'virtual=3'))).virtuals[0]!.protocol).toBe('fwm');
  });

  it.each([
    ['request=""', 'no request string specified'],
    ['receive=""', 'invalid receive string'],
    ['checktype=sometimes', 'checktype must be "connect", "negotiate", "on", "off", "ping", "external", "external-perl" or a positive number'],
    ['checkcommand=""', 'invalid check command'],
    ['checktimeout=0', 'invalid check timeout'],
    ['negotiatetimeout=x', 'invalid negotiate timeout'],
    ['checkcount=0', 'invalid check count'],
    ['failurecount=0', 'invalid failure count'],
    ['checkinterval=0', 'invalid checkinterval'],
    ['checkport=http', 'invalid port'],
    ['checkport=70000', 'checkport must be in range 1..65536'],
    ['login=""', 'invalid login string'],
    ['passwd=""', 'invalid password'],
    ['database=""', 'invalid database'],
    ['secret=""', 'invalid secret'],
    ['load="--"', 'invalid string for load testing'],
    ['scheduler=WLC', 'invalid scheduler, should be only lowercase letters (a-z)'],
    ['scheduler=bogus', 'unknown scheduler "bogus": IPVS schedulers are rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos'],
    ['persistent=forever', 'invalid persistent timeout'],
    ['netmask=24', 'invalid netmask: dotted quad notation is required'],
    ['schedflags=', 'invalid sched-flags'],
    ['protocol=sctp', 'protocol must be tcp or udp if the virtual service is an address and port'],
    ['protocol=', 'invalid protocol'],
    ['ops=1', "ops must be 'yes' or 'no'"],
    ['service=ssh', 'service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission'],
    ['service=HTTP', 'service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission'],
    ['httpmethod=POST', 'httpmethod must be GET or HEAD'],
    ['fallbackcommand=""', 'invalid fallback command'],
    ['quiescent=y', "quiescent must be 'yes' or 'no'"],
    ['emailalert=', 'no email address specified'],
    ['emailalertfreq=x', 'invalid email alert frequency'],
    ['emailalertstatus=sometimes', 'invalid email alert status at: "sometimes"'],
    ['cleanstop=', "cleanstop must be 'yes' or 'no'"],
    ['smtp=', 'invalid SMTP server address'],
    ['monitorfile=""', 'unable to open monitorfile : No such file or directory'],
  ])('rejects %s: %s', async (line, message) => {
    expect(await errors(block([line]))).toEqual([`2: ${message}`]);
  });

  it.each([
    ['netmask=255.255.255.0', 'invalid netmask: a prefix length between 1 and 128 is required'],
    ['netmask=129', 'invalid netmask: a prefix length between 1 and 128 is required'],
  ])('in a virtual6 block rejects %s', async (line, message) => {
    expect(await errors(block([line], 'virtual6=[::1]:80'))).toEqual([`2: ${message}`]);
  });

  it('protocol other than fwm on a firewall mark is rejected', async () => {
    expect(await errors(block(['protocol=tcp'], 'virtual=3'))).toEqual(['2: protocol must be fwm if the virtual service is a fwmark (a number)']);
  });
});

describe('derived values (ld_setup)', () => {
  it.each([
    ['nothing set', '', [], 5, 30],
    ['global checktimeout only', 'checktimeout=3\n', [], 3, 3],
    ['global negotiatetimeout only', 'negotiatetimeout=9\n', [], 9, 9],
    ['global both', 'checktimeout=3\nnegotiatetimeout=9\n', [], 3, 9],
    ['global checktimeout + virtual negotiatetimeout', 'checktimeout=3\n', ['negotiatetimeout=20'], 20, 20],
    ['virtual checktimeout + global negotiatetimeout', 'negotiatetimeout=9\n', ['checktimeout=2'], 2, 2],
    ['virtual both', 'checktimeout=3\n', ['checktimeout=4', 'negotiatetimeout=6'], 4, 6],
  ])('timeouts with %s', async (_n, globals, lines, checkTimeout, negotiateTimeout) => {
    const v = (await ok(globals + block(lines))).virtuals[0]!;
    expect([v.checkTimeout, v.negotiateTimeout]).toEqual([checkTimeout, negotiateTimeout]);
  });

  it('globals are inherited unless the block overrides them', async () => {
    const c = await ok('quiescent=yes\nfailurecount=3\nemailalert="ops@x"\nsmtp=mail\nfallbackcommand=/bin/fb\n' + block([]) + block(['quiescent=no', 'failurecount=1'], 'virtual=10.0.0.1:443'));
    expect(c.virtuals.map((v) => [v.quiescent, v.failureCount, v.emailAlert, v.smtp, v.fallbackCommand])).toEqual([
      [true, 3, 'ops@x', 'mail', '/bin/fb'],
      [false, 1, 'ops@x', 'mail', '/bin/fb'],
    ]);
  });

  it('the check port is checkport=, else the real port, else the service port', async () => {
    const c = await ok(block(['real=10.0.0.2:8080 gate', 'real=10.0.0.3 gate']) + block(['checkport=9000', 'real=10.0.0.2:8080 gate'], 'virtual=10.0.0.1:443') + block(['real=10.0.0.2 gate'], 'virtual=5'));
    expect(c.virtuals.map((v) => v.reals.map((r) => checkPort(v, r)))).toEqual([[8080, 80], [9000], [0]]);
  });

  it('warns that checkinterval in a virtual is ignored when fork=no', async () => {
    expect(await warnings(block(['checkinterval=3']))).toEqual(['0: checkinterval in virtual service tcp:10.0.0.1:80 ignored when fork=no']);
    expect(await warnings('fork=yes\n' + block(['checkinterval=3']))).toEqual([]);
  });

  it('a firewall-mark virtual has service none unless service= is given', async () => {
    const c = await ok(block([], 'virtual=1') + block(['service=http'], 'virtual=2'));
    expect(c.virtuals.map((v) => [v.service, v.port, v.protocol])).toEqual([['none', 0, 'fwm'], ['http', 0, 'fwm']]);
  });

  it('the Config is deeply frozen', async () => {
    const c = await ok(block(['real=10.0.0.2:80 gate']));
    expect(Object.isFrozen(c) && Object.isFrozen(c.virtuals) && Object.isFrozen(c.virtuals[0]!.reals[0]) && Object.isFrozen(c.global.execute)).toBe(true);
  });

  it('every node carries its file and line', async () => {
    const c = await ok('checktimeout=3\n\nvirtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tfallback=127.0.0.1\n');
    const v = c.virtuals[0]!;
    expect([v.pos, v.reals[0]!.pos, v.fallback!.pos]).toEqual([{ file: 't.cf', line: 3 }, { file: 't.cf', line: 4 }, { file: 't.cf', line: 5 }]);
  });
});

describe('directive scopes follow spec Appendix B', () => {
  const globalOnly = ['autoreload', 'callback', 'execute', 'fork', 'logfile', 'maintenancedir', 'readdquiescent', 'emailalertfrom', 'supervised', 'timeout'];
  const virtualOnly = ['checkcommand', 'checkport', 'checktype', 'comment', 'database', 'httpmethod', 'load', 'login', 'monitorfile', 'netmask', 'ops', 'passwd', 'persistent', 'protocol', 'real', 'real6', 'receive', 'request', 'schedflags', 'scheduler', 'secret', 'service', 'servicename', 'virtualhost'];

  it.each(globalOnly)('%s inside a block is an Unknown command', async (name) => {
    expect(await errors(block([`${name}=x`]))).toEqual([expect.stringMatching(new RegExp(`^2: Unknown command "\\t${name}=x"`))]);
  });

  it.each(virtualOnly)('%s at top level is an Unknown command', async (name) => {
    expect(await errors(`${name}=x\n`)).toEqual([expect.stringMatching(new RegExp(`^1: Unknown command ${name}=x`))]);
  });
});

describe('smtp= extended form [user[:password]@]host[:port] (extension, issue 13 item 16)', () => {
  it('a plain host keeps upstream\'s reading: no port, no credentials', async () => {
    const c = await ok('smtp=mail.example.com\n' + block([]));
    expect([c.global.smtp, c.global.smtpExtra, c.virtuals[0]!.smtpExtra]).toEqual(['mail.example.com', undefined, undefined]);
  });

  it('reads port and %-decoded credentials; a virtual inherits them with the global host', async () => {
    const c = await ok('smtp=alerts%40lvs:p%40ss:w@relay.example.com:587\n' + block([]) + block(['smtp=other:2525'], 'virtual=10.0.0.1:443'));
    expect(c.global.smtp).toBe('relay.example.com');
    expect(c.virtuals.map((v) => [v.smtp, v.smtpExtra])).toEqual([
      ['relay.example.com', { port: 587, user: 'alerts@lvs', password: 'p@ss:w' }],
      ['other', { port: 2525 }],
    ]);
  });

  it.each([
    ['smtp=relay:0', 'invalid SMTP server address: port 0 is not in 1..65535'],
    ['smtp=relay:70000', 'invalid SMTP server address: port 70000 is not in 1..65535'],
    ['smtp=u:%zz@relay', 'invalid SMTP server address: bad %-escape in user or password'],
  ])('%s is an error naming the line', async (line, message) => {
    expect(await errors(line + '\n')).toEqual([`1: ${message}`]);
  });
});
