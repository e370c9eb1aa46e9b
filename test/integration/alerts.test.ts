// E-mail alerts end to end: the daemon quiesces a real and a real SMTP server on loopback (port 25) receives the mail.
import { createServer as createHttp } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { AlertSender } from '../../src/daemon/hooks/email.js';
import { FakeIpvs } from '../../src/ipvs/index.js';
import { MemoryLogger } from '../../src/log/index.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { startTestDaemon } from '../support/daemon.js';
import { startMailServer, type MailServer, type ReceivedMail } from '../support/smtp.js';

// smtp= takes a host only (port 25, as upstream's Net::SMTP use), so the server gets its own loopback address.
const SMTP_HOST = '127.0.0.25';

let dir: string;
let smtp: MailServer;
let web: HttpServer;
let page = 'fake';
let mails: ReceivedMail[] = [];
let daemon: Daemon | undefined;
let alerts: AlertSender;

beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  dir = mkdtempSync(join(tmpdir(), 'ldird-alert-'));
  smtp = await startMailServer({ host: SMTP_HOST, port: 25 });
  mails = smtp.mails;
  web = createHttp((_q, r) => r.end(page));
  await new Promise<void>((res) => web.listen(0, '127.0.0.2', () => res()));
  const port = (web.address() as AddressInfo).port;
  const cfg = join(dir, 'alert.cf');
  writeFileSync(
    cfg,
    `checktimeout=2\ncheckinterval=1\nquiescent=yes\nemailalert="ops@example.org"\nemailalertfrom=lvs@example.org\nsmtp=${SMTP_HOST}\n` +
      `virtual=127.0.0.1:80\n\treal=127.0.0.2:${port} masq\n\tservice=http\n\treceive="fake"\n\tscheduler=rr\n`,
  );
  const logger = new MemoryLogger();
  alerts = new AlertSender({ logger, clock: systemClock, hostname: 'director' });
  daemon = await startTestDaemon({
    configPath: cfg,
    ipvs: new FakeIpvs(),
    logger,
    onEvents: (events, phase, config) => alerts.onEvents(events, phase, config),
  });
}, 30_000);

afterAll(async () => {
  await daemon?.stop('TERM');
  alerts?.stop();
  await smtp?.close();
  web?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms; mails: ${JSON.stringify(mails.map((m) => m.parsed.subject))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Port 25 needs root; the daemon runs as root anyway, and CI runs the suite as root.
const maybe = process.getuid?.() === 0 ? describe : describe.skip;

maybe('emailalert over SMTP', () => {
  it('mails "Added real server" when the real comes up and "Quiescent real server" when it fails', async () => {
    await until(() => mails.some((m) => m.parsed.subject?.startsWith('Added real server: 127.0.0.2:') === true), 8000);
    page = 'broken';
    await until(() => mails.some((m) => m.parsed.subject?.startsWith('Quiescent real server: 127.0.0.2:') === true), 8000);
    const q = mails.find((m) => m.parsed.subject?.startsWith('Quiescent') === true)!;
    expect(q.parsed.from?.text).toBe('lvs@example.org');
    expect(q.parsed.to).toMatchObject({ text: 'ops@example.org' });
    expect(q.rcptTo).toEqual(['ops@example.org']);
    expect(q.parsed.text).toMatch(/^ldirectord host: director\nLog-Message: Quiescent real server: 127\.0\.0\.2:\d+ \(127\.0\.0\.1:80\) \(Weight set to 0\)\nDaemon-Status: running\n$/);
  });
});
