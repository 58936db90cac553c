/**
 * readEnvironment.sh, which the debugger attach uses to read JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS and NODE_OPTIONS
 * of the target, run for real (busybox ash, dash, bash) against a local process whose environment a hostile
 * target chose: a value with a newline and a NAME=VALUE after it must stay inside that value, not become the
 * variable the extension reads (it would point the port-forward and the debugger at a port of the target's choice).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readEnvironment } from '../../../src/launch/processes';
import type { Shell } from '../../../src/launch/runtimes/common';

const SHELLS: readonly (readonly string[])[] = [['busybox', 'sh'], ['dash'], ['bash', '--posix']];

/** The Shell the runtimes get, running the script here instead of in a debug container. */
const localShell = (shell: readonly string[]): Shell => async (script, args = []) => {
  const result = spawnSync(shell[0]!, [...shell.slice(1), '-c', script, 'read-environment', ...args], { encoding: 'utf8' });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.status ?? undefined, status: undefined };
};

describe('security #12: reading the target\'s environment', () => {
  let target: ChildProcess;

  before(() => {
    target = spawn('sleep', ['600'], {
      env: {
        PATH: process.env.PATH,
        FORGER: 'x\nJAVA_TOOL_OPTIONS=-agentlib:jdwp=transport=dt_socket,server=y,address=*:6666\nNODE_OPTIONS=--inspect=0.0.0.0:7777',
        NODE_OPTIONS: 'a\nb',
        SECRET: 'hunter2',
      },
      stdio: 'ignore',
    });
  });

  after(() => {
    target?.kill();
  });

  for (const shell of SHELLS) {
    it(`security #12 hostile input: a newline in one variable cannot forge another (${shell.join(' ')})`, async () => {
      const env = await readEnvironment(localShell(shell), target.pid!, ['JAVA_TOOL_OPTIONS', 'NODE_OPTIONS', 'FORGER']);
      assert.deepEqual(env, {
        NODE_OPTIONS: 'a\nb',
        FORGER: 'x\nJAVA_TOOL_OPTIONS=-agentlib:jdwp=transport=dt_socket,server=y,address=*:6666\nNODE_OPTIONS=--inspect=0.0.0.0:7777',
      });
    });
  }
});
