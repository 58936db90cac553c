/**
 * Security #12.8: an untrusted workspace cannot prune the journal every workspace shares, nor turn on the
 * recording of what is typed (passwords) or shown in terminals; and no value prunes sessions less than a day old.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RESTRICTED_SETTINGS, SETTING, USER_ONLY_SETTINGS, effectiveSettingValue, normalizeSettings, type InspectedValue, type SettingKey } from '../../../src/ui/pure/settingsModel';

/** The settings as src/ui/settings.ts reads them: each key through effectiveSettingValue with its restriction. */
function read(values: Partial<Record<SettingKey, InspectedValue<unknown>>>, trusted: boolean): ReturnType<typeof normalizeSettings> {
  const raw: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, inspected] of Object.entries(values) as [SettingKey, InspectedValue<unknown>][]) {
    raw[key] = effectiveSettingValue(inspected, { trusted, restricted: (RESTRICTED_SETTINGS as readonly string[]).includes(key) });
  }
  return normalizeSettings(raw);
}

describe('security #12.8: session settings and workspace trust', () => {
  const hostile = {
    [SETTING.sessionsRetentionDays]: { defaultValue: 30, workspaceValue: 0.0001 },
    [SETTING.sessionsRecordInput]: { defaultValue: false, workspaceValue: true },
    [SETTING.sessionsRecordTerminals]: { defaultValue: false, workspaceValue: true },
  };

  it('security #12.8: an untrusted workspace cannot set retentionDays, recordInput or recordTerminals', () => {
    const settings = read(hostile, false);
    assert.equal(settings.sessions.retentionDays, 30);
    assert.equal(settings.sessions.recordInput, false);
    assert.equal(settings.sessions.recordTerminals, false);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } } };
    for (const key of [SETTING.sessionsRetentionDays, SETTING.sessionsRecordInput, SETTING.sessionsRecordTerminals]) {
      assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`ephemeralDebug.${key}`), `${key} is restricted in package.json`);
    }
  });

  it('security #12.8: the user\'s own values still apply in an untrusted workspace', () => {
    const settings = read({ [SETTING.sessionsRetentionDays]: { defaultValue: 30, globalValue: 7, workspaceValue: 0.0001 }, [SETTING.sessionsRecordInput]: { defaultValue: false, globalValue: true } }, false);
    assert.equal(settings.sessions.retentionDays, 7);
    assert.equal(settings.sessions.recordInput, true);
  });

  it('security #12.8: a retention of less than a day is refused with a problem, whoever sets it', () => {
    for (const value of [0.0001, 0.5, 0]) {
      const settings = normalizeSettings({ [SETTING.sessionsRetentionDays]: value });
      assert.equal(settings.sessions.retentionDays, 30, String(value));
      assert.ok(settings.problems.some((p) => /sessions\.retentionDays: expected a number of days from 1 to 3650; using 30/.test(p)), settings.problems.join(' | '));
    }
    assert.equal(normalizeSettings({ [SETTING.sessionsRetentionDays]: 1 }).sessions.retentionDays, 1);
  });
});

describe('security: what the cluster and the team learn of a session is the user\'s choice alone', () => {
  function readAsExtension(values: Partial<Record<SettingKey, InspectedValue<unknown>>>, trusted: boolean): ReturnType<typeof normalizeSettings> {
    const raw: Partial<Record<SettingKey, unknown>> = {};
    for (const [key, inspected] of Object.entries(values) as [SettingKey, InspectedValue<unknown>][]) {
      raw[key] = effectiveSettingValue(inspected, { trusted, restricted: (RESTRICTED_SETTINGS as readonly string[]).includes(key), userOnly: USER_ONLY_SETTINGS.includes(key) });
    }
    return normalizeSettings(raw);
  }

  it('even a trusted workspace cannot switch the session Events off nor point the archive at its own folder', () => {
    for (const trusted of [true, false]) {
      const settings = readAsExtension({
        [SETTING.sessionsClusterEvents]: { defaultValue: true, workspaceValue: false },
        [SETTING.sessionsArchiveDirectory]: { defaultValue: '', workspaceValue: '/work/repo/.archive' },
      }, trusted);
      assert.equal(settings.sessions.clusterEvents, true, `trusted=${trusted}`);
      assert.equal(settings.sessions.archiveDirectory, undefined, `trusted=${trusted}`);
    }
    const user = readAsExtension({
      [SETTING.sessionsClusterEvents]: { defaultValue: true, globalValue: false },
      [SETTING.sessionsArchiveDirectory]: { defaultValue: '', globalValue: '~/team-share/debug-sessions' },
    }, true);
    assert.equal(user.sessions.clusterEvents, false);
    assert.match(user.sessions.archiveDirectory ?? '', /^\/.*\/team-share\/debug-sessions$/);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { configuration: { properties: Record<string, { scope?: string }> }[] | { properties: Record<string, { scope?: string }> } } };
    const sections = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
    for (const key of USER_ONLY_SETTINGS) {
      const declared = sections.map((c) => c.properties[`ephemeralDebug.${key}`]).find(Boolean);
      assert.equal(declared?.scope, 'machine', `${key} is machine-scoped in package.json`);
    }
  });

  it('refuses a relative archive folder with a problem instead of writing next to the workspace', () => {
    const settings = normalizeSettings({ [SETTING.sessionsArchiveDirectory]: 'archive' });
    assert.equal(settings.sessions.archiveDirectory, undefined);
    assert.ok(settings.problems.some((p) => /sessions\.archiveDirectory: expected an absolute folder path/.test(p)), settings.problems.join(' | '));
  });
});
