/**
 * Security #12.13: compacting the session journal (retention) must not drop what another window appends
 * meanwhile. The compaction replaces the file by a rename; `beforeRename` runs at the point where an append
 * used to be lost (after the last read of the old file, before the rename), and other processes append while
 * compactions run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendEvent, loadJournal, rewriteJournal } from '../../../src/session/journalFile';
import type { JournalEvent } from '../../../src/session/types';

const action = (sessionId: string, description: string): JournalEvent => ({ type: 'action', sessionId, at: new Date().toISOString(), description });

describe('security #12.13: journal compaction and concurrent appends', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    path = join(dir, 'journal.jsonl');
    writeFileSync(path, [action('old', 'pruned'), action('kept', 'stays')].map((e) => `${JSON.stringify(e)}\n`).join(''));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('security #12.13: an event appended just before the compacted file replaces the journal is kept', async () => {
    let appending: Promise<void> | undefined;
    const done = await rewriteJournal(path, (e) => e.sessionId !== 'old', {
      beforeRename: async () => {
        appending = appendEvent(path, action('late', 'appended during the compaction'));
        // Give the append every chance to land in the old file now, as another window's would.
        await new Promise((resolve) => setTimeout(resolve, 50));
      },
    });
    assert.equal(done, true);
    assert.ok(appending, 'the compaction reached the point before the rename');
    await appending;
    const { events } = await loadJournal(path);
    assert.deepEqual(events.map((e) => e.sessionId), ['kept', 'late']);
  });

  it('security #12.13: appends from other processes during repeated compactions are all kept', async function () {
    this.timeout(60_000);
    const writers = 3;
    const perWriter = 80;
    const script = `
      const { appendEvent } = await import(${JSON.stringify(join(process.cwd(), 'src/session/journalFile.ts'))});
      for (let i = 0; i < ${perWriter}; i++) await appendEvent(process.argv[1], { type: 'action', sessionId: 'w' + process.argv[2], at: new Date().toISOString(), description: String(i) });
    `;
    const children = Array.from({ length: writers }, (_, w) => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, String(w)], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} exited with ${code}`))));
    }));
    let running = true;
    const all = Promise.all(children).finally(() => (running = false));
    let compactions = 0;
    while (running) {
      if (await rewriteJournal(path, (e) => e.sessionId !== 'old')) compactions++;
    }
    await all;
    const { events } = await loadJournal(path);
    for (let w = 0; w < writers; w++) {
      assert.deepEqual(events.filter((e) => e.sessionId === `w${w}`).map((e) => (e as { description: string }).description), Array.from({ length: perWriter }, (_, i) => String(i)), `writer ${w} after ${compactions} compactions`);
    }
  });
});
