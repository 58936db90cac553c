import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GOVERNANCE_SETTING, mergeGovernance } from '../../../src/ui/pure/governanceSettings';
import { DEFAULT_IMAGE_PRESETS, RESTRICTED_SETTINGS, SETTING, effectiveSettingValue, isImageAllowed, normalizeSettings } from '../../../src/ui/pure/settingsModel';

const packageJson = JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as {
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
  contributes: {
    commands: { command: string; title: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, { default?: unknown; description?: string; markdownDescription?: string; scope?: string }> };
  };
};

describe('ui: settings', () => {
  it('normalises missing values to the documented defaults', () => {
    const s = normalizeSettings({});
    assert.equal(s.defaultImage, 'busybox:1.36');
    assert.equal(s.defaultProfile, 'auto');
    assert.equal(s.waitTimeoutSeconds, 120);
    assert.deepEqual(s.policy, {});
    assert.equal(s.confirmPrivilegedProfiles, true);
    assert.equal(s.showEphemeralNotice, true);
    assert.deepEqual(s.imagePresets, DEFAULT_IMAGE_PRESETS);
    assert.deepEqual(s.problems, []);
  });

  it('drops invalid values with a reason instead of failing', () => {
    const s = normalizeSettings({
      defaultImage: 'Not An Image',
      defaultProfile: 'root',
      waitTimeoutSeconds: -1,
      imagePresets: ['ubuntu', { image: 'bad image' }, { image: 'alpine', description: 'small' }],
      templates: [{ name: 'a', image: 'busybox' }, { name: 'a', image: 'ubuntu' }, { image: 'x' }, { name: 'b', image: 'busybox', customSpec: { ports: [] } }, { name: 'c', image: 'busybox', customSpec: 'a: [' }],
    });
    assert.equal(s.defaultImage, 'busybox:1.36');
    assert.equal(s.defaultProfile, 'auto');
    assert.equal(s.waitTimeoutSeconds, 120);
    assert.deepEqual(s.imagePresets, [{ image: 'ubuntu' }, { image: 'alpine', description: 'small' }]);
    assert.deepEqual(s.templates.map((t) => t.name), ['a', 'b']);
    assert.equal(s.problems.length, 7, s.problems.join('\n'));
  });

  it('an empty allow-list allows everything; one of only invalid patterns allows nothing', () => {
    const images = (globalValue: unknown) => mergeGovernance({ 'governance.allowedImages': { globalValue } }, true).policy.allowedImages;
    assert.equal(images([]), undefined);
    assert.deepEqual(images(['']), []);
    assert.equal(isImageAllowed('busybox:1.36', {}), true);
    assert.equal(isImageAllowed('busybox:1.36', { allowedImages: [] }), false);
    assert.equal(isImageAllowed('busybox:1.36', { allowedImages: ['docker.io/library/busybox:*'] }), true);
    assert.equal(isImageAllowed('evil/busybox:1.36', { allowedImages: ['busybox:*'] }), false);
    assert.equal(isImageAllowed('busybox:1.36', { allowedImages: ['busybox:*'], workspaceAllowedImages: ['ubuntu'] }), false, 'both layers must allow it');
  });

  it('ignores workspace values of restricted settings in untrusted workspaces', () => {
    const inspected = { defaultValue: 'busybox:1.36', globalValue: 'ubuntu', workspaceValue: 'evil:latest', workspaceFolderValue: 'evil2' };
    assert.equal(effectiveSettingValue(inspected, { trusted: false, restricted: true }), 'ubuntu');
    assert.equal(effectiveSettingValue({ defaultValue: 'busybox:1.36', workspaceValue: 'evil' }, { trusted: false, restricted: true }), 'busybox:1.36');
    assert.equal(effectiveSettingValue(inspected, { trusted: true, restricted: true }), 'evil2');
    assert.equal(effectiveSettingValue(inspected, { trusted: false, restricted: false }), 'evil2');
  });

  it('package.json declares every setting, with descriptions, and restricts the same ones', () => {
    const properties = packageJson.contributes.configuration.properties;
    for (const key of [...Object.values(SETTING), ...Object.values(GOVERNANCE_SETTING)]) {
      const property = properties[`ephemeralDebug.${key}`];
      assert.ok(property, `ephemeralDebug.${key} is contributed`);
      assert.ok(property.description ?? property.markdownDescription, `ephemeralDebug.${key} has a description`);
    }
    assert.equal(Object.keys(properties).length, Object.values(SETTING).length + Object.values(GOVERNANCE_SETTING).length);
    assert.deepEqual([...packageJson.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), RESTRICTED_SETTINGS.map((k) => `ephemeralDebug.${k}`).sort());
    assert.equal(packageJson.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const key of ['kubeconfig', 'confirmPrivilegedProfiles']) {
      assert.equal(properties[`ephemeralDebug.${key}`].scope, 'machine', `${key} cannot be set by a workspace`);
    }
    for (const key of Object.values(GOVERNANCE_SETTING)) {
      // A workspace may set governance (to tighten it: mergeGovernance never lets it loosen), so not machine-scoped;
      // except the switch that only loosens (node debugging), which a workspace never sets.
      const scope = key === GOVERNANCE_SETTING.allowNodeDebug ? 'machine' : 'window';
      assert.equal(properties[`ephemeralDebug.${key}`].scope, scope, `${key} is ${scope}-scoped`);
    }
    assert.equal(properties['ephemeralDebug.defaultImage'].default, 'busybox:1.36');
    assert.equal(properties['ephemeralDebug.waitTimeoutSeconds'].default, 120);
    assert.deepEqual(properties['ephemeralDebug.imagePresets'].default, DEFAULT_IMAGE_PRESETS);
  });

  it('package.json menus name contributed commands only, and commands carry a category and an icon', () => {
    const commands = new Map(packageJson.contributes.commands.map((c) => [c.command, c]));
    for (const [menu, items] of Object.entries(packageJson.contributes.menus)) {
      for (const item of items) {
        assert.ok(commands.has(item.command), `${menu} names ${item.command}`);
      }
    }
    for (const command of commands.values()) {
      assert.ok(command.command.startsWith('ephemeralDebug.'));
      assert.equal(command.category, 'Kubernetes Ephemeral Debug');
      assert.match(command.icon ?? '', /^\$\([a-z-]+\)$/);
    }
    const clusterExplorer = packageJson.contributes.menus['view/item/context'].find((m) => m.when?.includes('extension.vsKubernetesExplorer'));
    assert.equal(clusterExplorer?.command, 'ephemeralDebug.attach');
    assert.equal(clusterExplorer?.when, 'view == extension.vsKubernetesExplorer && viewItem =~ /vsKubernetes\\.resource\\.pod/i');
  });
});
