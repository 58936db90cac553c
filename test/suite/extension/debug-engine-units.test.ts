/** The attach engine's pure parts, without a cluster: target process choice, Pod Security fixes, privileges. */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { privilegesGranted } from '../../../src/debug/attachFlow';
import { defaultTargetContainer } from '../../../src/debug/debugContainers';
import { requiredChanges } from '../../../src/debug/serverErrors';
import { chooseTargetProcess, parseProcessListing } from '../../../src/terminal/targetProcess';
import { buildTargetRootShellCommand } from '../../../src/terminal/targetRootShell';

const sharedPod: V1Pod = {
  metadata: { name: 'shared' },
  spec: {
    shareProcessNamespace: true,
    containers: [
      { name: 'app', image: 'node-app' },
      { name: 'sidecar', image: 'busybox', command: ['sh', '-c', 'while true; do sleep 30; done'] },
    ],
  },
};

/** A row of the process listing (src/terminal/listProcesses.sh): name, executable and argv hex-encoded. */
function row(pid: number, ppid: number, mnt: string, argv: string[]): string {
  const bytes = Buffer.from(`${argv[0]?.split('/').pop() ?? ''}\n\0${argv[0] ?? ''}\0${argv.map((a) => `${a}\0`).join('')}`);
  return `P\t${pid}\t${ppid}\t0\t${mnt}\t\t${bytes.toString('hex')}`;
}

const listing = [
  row(1, 0, 'mnt:[100]', ['/pause']),
  row(7, 0, 'mnt:[200]', ['sh', '-c', 'while true; do sleep 30; done']),
  row(8, 0, 'mnt:[300]', ['/nodejs/bin/node', '/app/server.js']),
  row(12, 7, 'mnt:[200]', ['sleep', '30']),
  row(20, 0, 'mnt:[400]', ['sh']),
  'self\tmnt:[400]',
].join('\n');

describe('debug engine: pure parts', () => {
  it('picks the target behind /pause, ruling out the sidecar by its command and the debug container by its mount namespace', () => {
    const choice = chooseTargetProcess(parseProcessListing(listing), sharedPod, 'app');
    assert.ok('pid' in choice, JSON.stringify(choice));
    assert.equal(choice.pid, 8);
    const sidecar = chooseTargetProcess(parseProcessListing(listing), sharedPod, 'sidecar');
    assert.ok('pid' in sidecar);
    assert.equal(sidecar.pid, 7);
  });

  it('says so when PID 1 is the debug container itself (targetContainerName ignored by the runtime)', () => {
    const own: V1Pod = { spec: { containers: [{ name: 'app' }] } };
    const choice = chooseTargetProcess(parseProcessListing(`${row(1, 0, 'mnt:[400]', ['sh'])}\nself\tmnt:[400]`), own, 'app');
    assert.ok('error' in choice && /ignored targetContainerName/.test(choice.error));
  });

  it('turns Pod Security details into edits', () => {
    assert.deepEqual(requiredChanges('container "d" must set securityContext.allowPrivilegeEscalation=false'), ['set securityContext.allowPrivilegeEscalation=false']);
    assert.deepEqual(requiredChanges('containers "d" must not set securityContext.privileged=true'), ['unset securityContext.privileged']);
    assert.deepEqual(requiredChanges('container "d" must set securityContext.capabilities.drop=["ALL"]; container "d" must not include "SYS_PTRACE" in securityContext.capabilities.add'), [
      'remove "SYS_PTRACE" from securityContext.capabilities.add',
      'set securityContext.capabilities.drop=["ALL"]',
    ]);
  });

  it('names what a container gets beyond the runtime defaults', () => {
    assert.deepEqual(privilegesGranted({ name: 'd', securityContext: { capabilities: { add: ['SYS_PTRACE', 'CHOWN'] } } }), ['SYS_PTRACE']);
    assert.deepEqual(privilegesGranted({ name: 'd', securityContext: { privileged: true } }), ['privileged']);
    assert.deepEqual(privilegesGranted({ name: 'd' }), []);
  });

  it('defaults the target to the first running regular container', () => {
    const pod: V1Pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] }, status: { containerStatuses: [
      { name: 'a', image: '', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      { name: 'b', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
    ] } };
    assert.equal(defaultTargetContainer(pod), 'b');
  });

  it('refuses to build a target-root script from anything but a pid and a plain label', () => {
    assert.throws(() => buildTargetRootShellCommand(0));
    assert.throws(() => buildTargetRootShellCommand(1, 'x"; rm -rf /'));
    assert.deepEqual(buildTargetRootShellCommand(8, 'container app').slice(3), ['target-root', '8', 'container app'], 'values as positional arguments');
  });
});
