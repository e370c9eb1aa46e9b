import { parseArgs } from '../../src/cli.js';

describe('parseArgs follows upstream option rules', () => {
  it.each([
    [['start'], { kind: 'daemon', debug: false, config: undefined, command: 'start' }],
    [['-d', 'my.cf', 'status'], { kind: 'daemon', debug: true, config: 'my.cf', command: 'status' }],
    [['--', 'x.cf', 'reload'], { kind: 'daemon', debug: false, config: 'x.cf', command: 'reload' }],
    [['-t'], { kind: 'config-test', config: undefined }],
    [['--config-test', 'a.cf'], { kind: 'config-test', config: 'a.cf' }],
    [['--dump-config', 'a.cf'], { kind: 'dump-config', config: 'a.cf' }],
    [['-v'], { kind: 'version' }],
    [['-?'], { kind: 'help' }],
  ])('%j', (argv, want) => {
    expect(parseArgs(argv)).toEqual(want);
  });

  it.each([[[]], [['bogus']], [['a.cf', 'Start']], [['-x', 'start']], [['--nope']]])(
    'rejects %j as a usage error',
    (argv) => {
      expect(parseArgs(argv).kind).toBe('usage');
    },
  );

  it('stops option processing at the first non-option (require_order)', () => {
    expect(parseArgs(['my.cf', '-d', 'start'])).toEqual({ kind: 'usage', reason: 'unknown command -d' });
  });
});
