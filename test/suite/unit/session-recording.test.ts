/** Terminal recordings: valid asciinema v2 files, written as they go, input left out on request. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CastRecorder, RECORDING_BANNER, SessionJournal, recordingBanner, startSessionRecording, type SessionStart,
} from '../../../src/session';

type CastEvent = [number, 'o' | 'i' | 'r' | 'm', string];

/** Parses a .cast the way a player does; every line must be valid. */
function parseCast(path: string): { header: Record<string, unknown>; events: CastEvent[] } {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a complete line');
  const [first, ...rest] = text.slice(0, -1).split('\n');
  const header = JSON.parse(first) as Record<string, unknown>;
  const events = rest.map((line, i) => {
    const e = JSON.parse(line) as unknown;
    assert.ok(Array.isArray(e) && e.length === 3, `line ${i + 2} is [time, code, data]`);
    assert.equal(typeof e[0], 'number');
    assert.ok(['o', 'i', 'r', 'm'].includes(e[1] as string), `line ${i + 2} code`);
    assert.equal(typeof e[2], 'string');
    return e as CastEvent;
  });
  for (let i = 1; i < events.length; i++) assert.ok(events[i][0] >= events[i - 1][0], `time goes backwards at event ${i}`);
  return { header, events };
}

function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('session recording (asciinema v2)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'session-recording-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('writes a header and output, input and resize events with monotonic times', () => {
    const clock = fakeClock();
    const path = join(dir, 'attach.cast');
    const rec = new CastRecorder(path, { width: 120, height: 30, title: 'demo/node-app', recordInput: true, clock: clock.now, startedAt: new Date('2026-11-21T16:22:33Z') });
    rec.output('$ ');
    clock.advance(250);
    rec.input('ls\r');
    clock.advance(10);
    rec.output('ls\r\nbin  etc\r\n');
    clock.advance(1500);
    rec.resize(100, 40);
    rec.output('"quoted" \\ \u001b[31mred\u001b[0m ✓\r\n');
    rec.close();
    rec.close();

    const { header, events } = parseCast(path);
    assert.deepEqual(header, { version: 2, width: 120, height: 30, timestamp: Date.parse('2026-11-21T16:22:33Z') / 1000, title: 'demo/node-app', env: { TERM: 'xterm-256color' } });
    assert.deepEqual(events, [
      [0, 'o', '$ '],
      [0.25, 'i', 'ls\r'],
      [0.26, 'o', 'ls\r\nbin  etc\r\n'],
      [1.76, 'r', '100x40'],
      [1.76, 'o', '"quoted" \\ \u001b[31mred\u001b[0m ✓\r\n'],
    ]);
    assert.equal(statSync(path).mode & 0o777, 0o600, 'recordings may show secrets: owner only');
    rec.output('after close');
    assert.equal(parseCast(path).events.length, 5, 'nothing is written after close');
  });

  it('never lets event times go backwards, whatever the clock does', () => {
    let t = 5000;
    const path = join(dir, 'clock.cast');
    const rec = new CastRecorder(path, { width: 80, height: 24, recordInput: true, clock: () => t, flushDelayMs: 0 });
    t = 6000;
    rec.output('a');
    t = 5500;
    rec.output('b');
    t = 7000;
    rec.output('c');
    rec.close();
    assert.deepEqual(parseCast(path).events.map((e) => e[0]), [1, 1, 2]);
  });

  it('leaves input out when recordInput is false, and joins UTF-8 split across chunks', () => {
    const path = join(dir, 'shell.cast');
    const rec = new CastRecorder(path, { width: 80, height: 24, recordInput: false, flushDelayMs: 0 });
    rec.input('secret-password\r');
    const check = Buffer.from('✓ done\r\n');
    rec.output(check.subarray(0, 1));
    rec.output(check.subarray(1));
    rec.input(Buffer.from('more typing'));
    rec.close();
    const text = readFileSync(path, 'utf8');
    assert.equal(text.includes('secret-password'), false);
    const { events } = parseCast(path);
    assert.deepEqual(events.map((e) => [e[1], e[2]]), [['o', '✓ done\r\n']]);
  });

  it('keeps a valid file when the window dies without closing', async () => {
    const path = join(dir, 'abrupt.cast');
    const immediate = new CastRecorder(path, { width: 80, height: 24, recordInput: true, flushDelayMs: 0 });
    immediate.output('line one\r\n');
    immediate.input('q');
    // No close(): what is on disk now is what a crash leaves.
    assert.deepEqual(parseCast(path).events.map((e) => e[2]), ['line one\r\n', 'q']);

    const batchedPath = join(dir, 'batched.cast');
    const batched = new CastRecorder(batchedPath, { width: 80, height: 24, recordInput: true, flushDelayMs: 20 });
    batched.output('small');
    const big = 'x'.repeat(20_000);
    batched.output(big);
    assert.deepEqual(parseCast(batchedPath).events.map((e) => e[2]), ['small', big], 'a big batch is written at once');
    batched.output('tail');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(parseCast(batchedPath).events.map((e) => e[2]), ['small', big, 'tail'], 'a small batch is written after the delay');
    immediate.close();
    batched.close();
    assert.throws(() => new CastRecorder(path, { width: 80, height: 24, recordInput: true }), /EEXIST/, 'never overwrites a recording');
  });

  it('records into the session as an artifact, listed from the start and sized at the end', async () => {
    const journal = await SessionJournal.open(dir, { retentionDays: 30 });
    const info: SessionStart = {
      kind: 'shell', identity: { username: 'admin', groups: [], source: 'SelfSubjectReview' }, context: 'loopback-admin', namespace: 'demo', pod: 'go-app',
    };
    const record = await journal.start(info);
    const first = await startSessionRecording(record, { name: 'shell', width: 80, height: 24, recordInput: false });
    const second = await startSessionRecording(record, { name: 'shell', width: 80, height: 24, recordInput: true });
    assert.deepEqual([first.artifact.fileName, second.artifact.fileName], ['shell.cast', 'shell-2.cast']);
    assert.equal(first.artifact.kind, 'recording');
    assert.equal(first.artifact.mediaType, 'application/x-asciicast');
    const listed = await journal.get(record.id);
    assert.deepEqual(listed?.artifacts.map((a) => a.fileName), ['shell.cast', 'shell-2.cast'], 'listed while still recording');

    first.recorder.output(recordingBanner(false));
    first.recorder.output('hello\r\n');
    const closed = await first.close();
    await second.close();
    assert.equal(closed.size, statSync(record.artifactPath('shell.cast')).size);
    const final = await journal.get(record.id);
    assert.deepEqual(final?.artifacts.map((a) => [a.fileName, a.size]), [
      ['shell.cast', closed.size], ['shell-2.cast', statSync(record.artifactPath('shell-2.cast')).size],
    ]);
    assert.deepEqual(parseCast(record.artifactPath('shell.cast')).events.map((e) => e[2]), [recordingBanner(false), 'hello\r\n']);
  });

  it('has a banner that says the terminal is recorded and whether input is', () => {
    assert.match(RECORDING_BANNER, /recorded/);
    assert.ok(RECORDING_BANNER.endsWith('\r\n'), 'ends the terminal line');
    assert.match(recordingBanner(true), /What you type is recorded/);
    assert.match(recordingBanner(false), /not recorded/);
  });
});
