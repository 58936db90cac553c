/**
 * Log hygiene, counted after the rest of the suite has run (this file sorts last): the extension host's logs
 * hold no "PendingMigrationError: navigator is now a global" from our bundle, no failed activation of the
 * built-in git extension (@vscode/fs-copyfile), and the target filesystem's session line appears once per debug
 * container and process, not once per read. The runner gives code-server HOME = its temp dir and the user data
 * in `<HOME>/user-data`, whose `logs/` holds the extension host's and our channel's log files.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

function logFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...logFiles(path));
    else if (name.endsWith('.log')) out.push(path);
  }
  return out;
}

describe('Log hygiene (extension host logs after the suite)', () => {
  it('has no navigator migration errors, no git activation failure, and the target filesystem line once per session', () => {
    const logsDir = join(homedir(), 'user-data', 'logs');
    assert.ok(existsSync(logsDir), `no logs at ${logsDir} (does test/host/run.ts still put the user data under HOME?)`);
    const files = logFiles(logsDir);
    const text = (filter: (path: string) => boolean): string => files.filter(filter).map((f) => readFileSync(f, 'utf8')).join('\n');
    const host = text((f) => /exthost\.log$/.test(f));
    assert.ok(host.length > 0, `no extension host log among ${files.length} log files`);
    assert.equal(host.match(/PendingMigrationError/g)?.length ?? 0, 0, 'navigator migration errors in the extension host log');
    assert.equal(host.match(/Cannot find module '@vscode\/fs-copyfile'/g)?.length ?? 0, 0, 'the built-in git extension failed to activate');

    const ours = text((f) => f.includes('Kubernetes Ephemeral Debug'));
    const sessions = [...ours.matchAll(/\[info\] target filesystem of (\S+): debug container (\S+), pid (\d+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    assert.ok(sessions.length > 0, 'the suite read the target filesystem, so its session line is logged');
    const counts = new Map<string, number>();
    for (const key of sessions) counts.set(key, (counts.get(key) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(repeated, [], 'each target filesystem session line is logged once at info level');
  });
});
