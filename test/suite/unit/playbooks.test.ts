/** Playbooks: the catalogue passes its own validation, suggestions from pod states, input defaults and quoting. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { V1Pod } from '@kubernetes/client-node';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { defaultInputs } from '../../../src/playbooks/inputs';
import { mergePlaybooks, normalizePlaybooks } from '../../../src/playbooks/normalize';
import { logAfterMarker } from '../../../src/playbooks/runner';
import { exportPrefix, shellQuote } from '../../../src/playbooks/shellEnv';
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

  it('every step script is valid sh syntax (sh -n)', () => {
    for (const playbook of BUILT_IN_PLAYBOOKS) {
      for (const step of playbook.steps) {
        try {
          execFileSync('sh', ['-n', '-c', step.script], { stdio: 'pipe' });
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
    ]);
    assert.deepEqual(value.map((p) => p.id), ['mine']);
    assert.equal(problems.length, 10, problems.join('\n'));
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

  it('a value with quotes, $(…), backticks and newlines reaches the script literally and executes nothing', () => {
    const evil = `a'b"c $(touch /tmp/playbook-pwned-$$) \`id\` $HOME\nnext; rm -rf /nonexistent *`;
    const script = `${exportPrefix({ VALUE: evil, OTHER: '' })}printf '%s' "$VALUE"`;
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', cwd: '/' });
    assert.equal(out, evil);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.throws(() => exportPrefix({ 'A B': 'x' }), /not a shell variable name/);
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
