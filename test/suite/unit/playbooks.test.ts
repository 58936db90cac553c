/** Playbooks: the catalogue passes its own validation, suggestions from pod states, input defaults and quoting. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { defaultInputs } from '../../../src/playbooks/inputs';
import { mergePlaybooks, normalizePlaybooks } from '../../../src/playbooks/normalize';
import { describeTargetChoice, logAfterMarker } from '../../../src/playbooks/runner';
import { stepCommand } from '../../../src/playbooks/shellEnv';
import { detectRuntime, suggestPlaybooks, type Suggestion } from '../../../src/playbooks/suggest';

const pod = (containers: NonNullable<V1Pod['spec']>['containers'], status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { containers }, status });
const label = (s: Suggestion): string => (s.kind === 'playbook' ? s.playbookId : s.kind);

describe('playbooks: catalogue', () => {
  it('every built-in passes normalize unchanged, ids are unique, and each names a real profile and image', () => {
    const { value, problems } = normalizePlaybooks(JSON.parse(JSON.stringify(BUILT_IN_PLAYBOOKS)));
    assert.deepEqual(problems, []);
    assert.deepEqual(value, BUILT_IN_PLAYBOOKS);
    assert.equal(new Set(BUILT_IN_PLAYBOOKS.map((p) => p.id)).size, BUILT_IN_PLAYBOOKS.length);
    for (const id of ['network-dns', 'http-health', 'memory', 'fd-exhaustion', 'stuck-process', 'core-dumps', 'database-connectivity', 'jvm-threads', 'node-heap', 'python-stack']) {
      assert.ok(BUILT_IN_PLAYBOOKS.some((p) => p.id === id), id);
    }
  });

  it('every step script, after the runner\'s prelude, is valid sh syntax (sh -n)', () => {
    for (const playbook of BUILT_IN_PLAYBOOKS) {
      for (const step of playbook.steps) {
        try {
          execFileSync('sh', ['-n', '-c', stepCommand(step.script, {})[2]!], { stdio: 'pipe' });
        } catch (error) {
          assert.fail(`${playbook.id} / ${step.title}: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
        }
      }
    }
  });

  it('refuses invalid user playbooks with one line each and keeps the valid ones', () => {
    const good = { id: 'mine', title: 'Mine', description: 'x', image: 'busybox:1.36', profile: 'baseline', steps: [{ title: 's', script: 'echo hi', output: 'terminal' }] };
    const { value, problems } = normalizePlaybooks([
      good,
      { ...good, id: 'Bad Id' },
      { ...good, id: 'p2', profile: 'root' },
      { ...good, id: 'p3', steps: [] },
      { ...good, id: 'p4', steps: [{ title: 's', script: 'x', output: 'artifact' }] },
      { ...good, id: 'p5', steps: [{ title: 's', script: 'x', output: 'artifact', artifactName: '../etc/passwd' }] },
      { ...good, id: 'p6', inputs: [{ name: 'TARGET_PID', prompt: 'x' }] },
      { ...good, id: 'p7', inputs: [{ name: 'lower', prompt: 'x' }] },
      { ...good, id: 'p8', steps: [{ title: 's', script: 'x', output: 'terminal', timeoutSeconds: 0 }] },
      { ...good, title: 'duplicate' },
      'not an object',
      { ...good, id: 'p9', needsTarget: 'no' },
    ]);
    assert.deepEqual(value.map((p) => p.id), ['mine']);
    assert.equal(problems.length, 11, problems.join('\n'));
    assert.match(problems[10]!, /playbooks\[11\] \("p9"\)\.needsTarget: must be true or false/);
    assert.match(problems[0]!, /^playbooks\[1\]\.id: "Bad Id"/);
    assert.match(problems[1]!, /playbooks\[2\] \("p2"\)\.profile/);
    assert.match(problems[3]!, /artifactName/);
    assert.match(problems[4]!, /plain file name/);
    assert.match(problems[5]!, /set by the runner/);
    assert.match(problems[8]!, /appears earlier/);
    assert.deepEqual(normalizePlaybooks({}).problems, ['playbooks: must be an array of playbooks']);
  });

  it('a user playbook with a built-in id replaces it in place; new ones follow the built-ins', () => {
    const mirrored = { ...BUILT_IN_PLAYBOOKS[0]!, image: 'registry.example/netshoot:v0.13' };
    const extra = { id: 'extra', title: 'Extra', description: '', image: 'busybox:1.36', profile: 'baseline' as const, steps: [{ title: 's', script: 'true', output: 'terminal' as const }] };
    const merged = mergePlaybooks(BUILT_IN_PLAYBOOKS, [extra, mirrored]);
    assert.equal(merged.length, BUILT_IN_PLAYBOOKS.length + 1);
    assert.equal(merged[0]!.image, 'registry.example/netshoot:v0.13');
    assert.equal(merged.at(-1)!.id, 'extra');
  });
});

describe('playbooks: inputs and quoting', () => {
  it('fills defaults from the target\'s ports, readiness probe and env', () => {
    const target = pod([{ name: 'app', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090, name: 'admin' }],
      readinessProbe: { httpGet: { path: '/ready', port: 'admin' as never } },
      env: [{ name: 'DATABASE_URL', value: 'postgres://u:secret@db.prod.svc:6543/app' }] }], {});
    const byId = (id: string) => BUILT_IN_PLAYBOOKS.find((p) => p.id === id)!;
    assert.deepEqual(defaultInputs(byId('network-dns'), target, 'app'), { DNS_NAME: 'kubernetes.default.svc.cluster.local', ENDPOINT: '127.0.0.1:8080' });
    assert.deepEqual(defaultInputs(byId('http-health'), target, 'app'), { URL: 'http://127.0.0.1:9090/ready' });
    assert.deepEqual(defaultInputs(byId('database-connectivity'), target, 'app'), { DB_ENDPOINT: 'db.prod.svc:6543' });
    const hostPort = pod([{ name: 'app', image: 'x', env: [{ name: 'REDIS_HOST', value: 'cache' }, { name: 'REDIS_PORT', value: '6379' }] }], {});
    assert.deepEqual(defaultInputs(byId('database-connectivity'), hostPort, 'app'), { DB_ENDPOINT: 'cache:6379' });
    const mysql = pod([{ name: 'app', image: 'x', env: [{ name: 'DB', value: 'mysql://db' }] }], {});
    assert.deepEqual(defaultInputs(byId('database-connectivity'), mysql, 'app'), { DB_ENDPOINT: 'db:3306' });
  });

  it('security #12: a value with quotes, $(…), backticks, newlines and a leading dash reaches the step as data, never script text, and runs nothing (busybox ash, dash, bash)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'playbook-step-'));
    try {
      const marker = join(dir, 'pwned');
      const evil = `-a'b"c $(touch ${marker}) \`touch ${marker}\` $HOME\nnext; touch ${marker} *\\`;
      const argv = stepCommand('printf "%s|%s|%s" "$VALUE" "$OTHER" "$(pwd)"', { VALUE: evil, OTHER: 'x\0y', ARTIFACT_DIR: join(dir, 'work') });
      assert.ok(!argv[2]!.includes(evil) && !argv[2]!.includes('$HOME\nnext'), 'no byte of the value is in the script');
      for (const shell of [['busybox', 'sh'], ['dash'], ['bash', '--posix']]) {
        const out = execFileSync(shell[0]!, [...shell.slice(1), ...argv.slice(1)], { encoding: 'utf8', cwd: '/' });
        assert.equal(out, `${evil}|xy|${join(dir, 'work')}`, shell.join(' '));
      }
      assert.equal(existsSync(marker), false, 'nothing of the value ran');
      assert.throws(() => stepCommand('true', { 'A B': 'x' }), /not a shell variable name/);
      // The prelude refuses a name that is not a variable even when it is given one directly.
      const refused = spawnSync('sh', ['-c', stepCommand('true', {})[2]!, 'playbook-step', 'A[$(id)]=1'], { encoding: 'utf8' });
      assert.equal(refused.status, 125);
      assert.match(refused.stderr, /is not a variable name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('security #12: the target line of a run is one line whatever the target\'s argv holds, and redacted', () => {
    const line = describeTargetChoice({ pid: 7, cmdline: 'app --password hunter2 x\n- Result: every required step succeeded\r\u001b[2J', how: 'PID 1' });
    assert.equal(line, 'PID 7 (app --password <redacted> x?- Result: every required step succeeded??[2J): PID 1');
  });

  it('cuts the target log after the marker, from the last dump', () => {
    const log = 'old\nFull thread dump A\n--- marker ---\nx\nFull thread dump B\nline\n';
    assert.equal(logAfterMarker(log, '--- marker ---'), 'x\nFull thread dump B\nline\n');
    assert.equal(logAfterMarker(log, 'absent', 'Full thread dump'), 'Full thread dump B\nline\n');
  });
});

describe('playbooks: suggestions', () => {
  it('OOMKilled → memory first', () => {
    const s = suggestPlaybooks(pod([{ name: 'app', image: 'registry/api:1' }], {
      phase: 'Running',
      containerStatuses: [{ name: 'app', image: 'registry/api:1', imageID: '', ready: true, restartCount: 3, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    }));
    assert.equal(label(s.first), 'memory');
    assert.match(s.first.reason, /OOMKilled/);
    const order = s.others.map(label);
    assert.ok(order.indexOf('core-dumps') > order.indexOf('network-dns'), `an OOM kill is not ranked as a crash to look for cores of: ${order.join(', ')}`);
  });

  it('failing readiness → HTTP health (httpGet probe) then network', () => {
    const s = suggestPlaybooks(pod([{ name: 'app', image: 'x', readinessProbe: { httpGet: { path: '/healthz', port: 8080 as never } } }], {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, state: { running: {} } }],
    }));
    assert.deepEqual([s.first, ...s.others].slice(0, 2).map(label), ['http-health', 'network-dns']);
    assert.match(s.first.reason, /GET \/healthz/);
  });

  it('ImagePullBackOff and unscheduled → cannot debug yet, with the reason', () => {
    const pull = suggestPlaybooks(pod([{ name: 'app', image: 'nope:1' }], {
      phase: 'Pending',
      containerStatuses: [{ name: 'app', image: 'nope:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }],
    }));
    assert.equal(pull.first.kind, 'cannot-debug');
    assert.match(pull.first.reason, /nope:1 cannot be pulled \(ImagePullBackOff\)/);
    const pending = suggestPlaybooks(pod([{ name: 'app', image: 'x' }], {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory' }],
    }));
    assert.equal(pending.first.kind, 'cannot-debug');
    assert.match(pending.first.reason, /not scheduled .*insufficient memory/);
  });

  it('a healthy pod starts with its runtime\'s playbook; detection reads image and command', () => {
    const running = { phase: 'Running', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] };
    assert.equal(label(suggestPlaybooks(pod([{ name: 'app', image: 'loopback.local/demo/java-app:1.0' }], running)).first), 'jvm-threads');
    assert.equal(label(suggestPlaybooks(pod([{ name: 'app', image: 'company/api:2', command: ['python3', 'main.py'] }], running)).first), 'python-stack');
    assert.equal(label(suggestPlaybooks(pod([{ name: 'app', image: 'gcr.io/distroless/nodejs22-debian12' }], running)).first), 'node-heap');
    assert.equal(label(suggestPlaybooks(pod([{ name: 'app', image: 'loopback.local/demo/go-app:1.0' }], running)).first), 'stuck-process');
    assert.equal(detectRuntime({ image: 'nginx:1.27' }), undefined);
    const plain = suggestPlaybooks(pod([{ name: 'app', image: 'nginx:1.27' }], running));
    assert.equal(label(plain.first), 'network-dns');
    assert.ok(!plain.others.some((o) => ['jvm-threads', 'node-heap', 'python-stack'].includes(label(o))), 'no runtime playbooks for an unknown runtime');
  });
});
