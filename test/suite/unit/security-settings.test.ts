/**
 * Security #12.8: an untrusted workspace cannot prune the journal every workspace shares, nor turn on the
 * recording of what is typed (passwords) or shown in terminals; and no value prunes sessions less than a day old.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RESTRICTED_SETTINGS, SETTING, effectiveSettingValue, normalizeSettings, type InspectedValue, type SettingKey } from '../../../src/ui/pure/settingsModel';

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
