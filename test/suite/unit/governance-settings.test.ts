import assert from 'node:assert/strict';
import { mergeGovernance } from '../../../src/ui/pure/governanceSettings';

describe('governance settings: a workspace may tighten, never loosen', () => {
  it('takes user values as they are', () => {
    const g = mergeGovernance({
      'governance.allowedImages': { globalValue: ['busybox:*'] },
      'governance.requireDigest': { globalValue: true },
      'governance.maxProfile': { globalValue: 'general' },
      'governance.allowedNamespaces': { globalValue: ['dev-*'] },
      'governance.sessionTimeLimitMinutes': { globalValue: 30 },
    }, true);
    assert.deepEqual(g.policy, { allowedImages: ['busybox:*'], allowedNamespaces: ['dev-*'], requireDigest: true, maxProfile: 'general', sessionTimeLimitMinutes: 30 });
    assert.deepEqual(g.problems, []);
  });

  it('keeps both image and namespace lists so both must match, the lower profile and the shorter limit', () => {
    const g = mergeGovernance({
      'governance.allowedImages': { globalValue: ['busybox:*'], workspaceValue: ['ubuntu'] },
      'governance.allowedNamespaces': { globalValue: ['dev-*'], workspaceFolderValue: ['dev-a'] },
      'governance.maxProfile': { globalValue: 'general', workspaceValue: 'sysadmin' },
      'governance.sessionTimeLimitMinutes': { globalValue: 30, workspaceValue: 120 },
      'governance.requireDigest': { globalValue: true, workspaceValue: false },
    }, true);
    assert.deepEqual(g.policy.allowedImages, ['busybox:*']);
    assert.deepEqual(g.policy.workspaceAllowedImages, ['ubuntu']);
    assert.deepEqual(g.policy.workspaceAllowedNamespaces, ['dev-a']);
    assert.equal(g.policy.maxProfile, 'general', 'sysadmin from the workspace does not raise the maximum');
    assert.equal(g.policy.sessionTimeLimitMinutes, 30);
    assert.equal(g.policy.requireDigest, true, 'a workspace cannot switch off the digest requirement');
    assert.match(g.problems.join('\n'), /workspace's "sysadmin" is above the user's "general"/);
  });

  it('lets a workspace tighten: lower profile, shorter limit, digest on', () => {
    const g = mergeGovernance({
      'governance.maxProfile': { globalValue: 'sysadmin', workspaceValue: 'baseline' },
      'governance.sessionTimeLimitMinutes': { globalValue: 0, workspaceValue: 15 },
      'governance.requireDigest': { workspaceValue: true },
    }, true);
    assert.equal(g.policy.maxProfile, 'baseline');
    assert.equal(g.policy.sessionTimeLimitMinutes, 15);
    assert.equal(g.policy.requireDigest, true);
  });

  it('ignores an untrusted workspace entirely, even when it would tighten', () => {
    const g = mergeGovernance({
      'governance.allowedImages': { globalValue: ['busybox:*'], workspaceValue: ['x'] },
      'governance.maxProfile': { workspaceValue: 'restricted' },
      'governance.sessionTimeLimitMinutes': { workspaceValue: 1 },
    }, false);
    assert.deepEqual(g.policy, { allowedImages: ['busybox:*'] });
  });

  it('reports invalid values and never turns a broken list into "allow everything"', () => {
    const g = mergeGovernance({
      'governance.allowedImages': { globalValue: [42] },
      'governance.maxProfile': { globalValue: 'root' },
      'governance.sessionTimeLimitMinutes': { globalValue: -5 },
      'governance.timeLimitWarningMinutes': { globalValue: 'soon' },
    }, true);
    assert.deepEqual(g.policy.allowedImages, [], 'a list of only invalid patterns allows nothing');
    assert.equal(g.policy.maxProfile, undefined);
    assert.equal(g.policy.sessionTimeLimitMinutes, undefined);
    assert.equal(g.timeLimitWarningMinutes, 5);
    assert.equal(g.problems.length, 4, g.problems.join('\n'));
  });
});
