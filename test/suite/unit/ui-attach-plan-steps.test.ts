/**
 * The Attach Debug Container picker's step counter: the attach steps are counted from the first (context)
 * step, so "(3/9)" is followed by "(4/9)", not "(3/4)" by "(4/9)".
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { planAttach, provisionalSteps, visibleSteps, type NormalizedAttachArguments } from '../../../src/ui/pure/attachPlan';

const settings = { defaultImage: 'busybox:1.36', defaultProfile: 'auto' as const, templates: [{ name: 'net', image: 'nicolaka/netshoot', profile: 'netadmin' as const }], policy: {}, imagePresets: [] };
const pod: V1Pod = { metadata: { name: 'web', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'app:1' }] }, status: { phase: 'Running' } };

describe('attach picker: the step count is known before the pod', () => {
  for (const [what, args, presetTarget] of [
    ['no arguments', { interactive: true }, undefined],
    ['an image and a profile given', { interactive: true, image: 'busybox', profile: 'baseline' }, undefined],
    ['a template given', { interactive: true, template: 'net' }, undefined],
    ['invoked on a container node', { interactive: true }, 'app'],
  ] as const) {
    it(`counts the same attach steps before and after the pod is read (${what})`, () => {
      const normalized = args as unknown as NormalizedAttachArguments;
      const planned = planAttach({ args: normalized, settings, pod, ...(presetTarget !== undefined ? { presetTarget } : {}) });
      assert.ok('value' in planned);
      assert.deepEqual(provisionalSteps(normalized, settings, presetTarget), visibleSteps(planned.value, planned.value.choices.template));
    });
  }
});
