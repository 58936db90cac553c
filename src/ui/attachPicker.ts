/**
 * The Attach Debug Container picker: one multi-step quick input (context → namespace → pod when invoked from
 * the palette, then image, target, profile, env, command, name) whose pre-selected defaults let the user press
 * Enter through it. Steps answered by arguments, by the node it was invoked on or by a template are skipped.
 * The step model is ./pure/attachPlan; this file only renders it.
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { ClusterApi } from '../cluster/clusterApi';
import type { ContextSummary } from '../cluster/kubeconfig';
import { summarizePod } from '../explorer/podStatus';
import { formatCommandLine, formatEnvAssignments, parseEnvAssignments, splitCommandLine } from './pure/commandLine';
import {
  choicesAfterImagePick,
  imageEntries,
  noTargetDescription,
  planAttach,
  prefersNoTarget,
  provisionalSteps,
  profileEntries,
  targetCandidates,
  visibleSteps,
  type AttachChoices,
  type AttachPlan,
  type AttachStepId,
  type NormalizedAttachArguments,
} from './pure/attachPlan';
import { describeAllowedImages, isImageAllowed, type DebugTemplate, type EphemeralDebugSettings } from './pure/settingsModel';
import { BACK, inputStep, pickStep, type StepAnswer } from './quickInput';
import { parseImageReference } from '../debug/imageReference';
import type { ProfileChoice } from '../debug/profiles';

const TITLE = 'Attach Debug Container';

export interface PickerEnvironment {
  readonly settings: EphemeralDebugSettings;
  readonly recentImages: readonly string[];
  readonly contexts: () => Promise<readonly ContextSummary[]>;
  readonly activeContext: string | undefined;
  readonly api: (context: string | undefined) => Promise<ClusterApi>;
}

/** Where the command was invoked; missing parts are asked for. */
export interface PickerStart {
  readonly context?: string;
  readonly namespace?: string;
  readonly pod?: string;
  /** From a container node: counts as the target answer. */
  readonly presetTarget?: string;
}

export interface PickerResult {
  readonly context: string | undefined;
  readonly namespace: string;
  readonly pod: V1Pod;
  readonly choices: AttachChoices;
}

type LocationStep = 'context' | 'namespace' | 'pod';
type Step = LocationStep | AttachStepId;

interface Item<T> extends vscode.QuickPickItem {
  readonly value: T;
}

const separator = <T>(label: string): Item<T> => ({ label, kind: vscode.QuickPickItemKind.Separator, value: undefined as T });

/**
 * Runs the picker; undefined when the user dismissed it. When `args.interactive` is false nothing is shown and
 * every missing value takes its default (a missing pod is an error).
 */
export async function runAttachPicker(env: PickerEnvironment, start: PickerStart, args: NormalizedAttachArguments, token?: vscode.CancellationToken): Promise<PickerResult | undefined> {
  let context = start.context;
  let namespace = start.namespace;
  let pod: V1Pod | undefined;
  let plan: AttachPlan | undefined;
  let choices: AttachChoices | undefined;

  const locationSteps: LocationStep[] = args.interactive ? [...(start.context === undefined && start.namespace === undefined && start.pod === undefined ? (['context'] as const) : []), ...(start.namespace === undefined ? (['namespace'] as const) : []), ...(start.pod === undefined ? (['pod'] as const) : [])] : [];
  if (!args.interactive && start.pod === undefined) {
    throw new Error('ephemeralDebug.attach with "interactive": false needs "pod" (and "namespace", else the context\'s default namespace)');
  }

  const readPod = async (name: string): Promise<void> => {
    const api = await env.api(context);
    namespace ??= api.defaultNamespace;
    pod = await api.readPod(namespace, name);
    const planned = planAttach({ args, settings: env.settings, pod, presetTarget: start.presetTarget });
    if ('error' in planned) {
      throw new Error(planned.error);
    }
    plan = planned.value;
    choices = plan.choices;
  };

  if (start.pod !== undefined) {
    await readPod(start.pod);
  }

  const steps = (): Step[] => [...locationSteps, ...(plan !== undefined && choices !== undefined ? visibleSteps(plan, choices.template) : provisionalSteps(args, env.settings, start.presetTarget))];
  let index = 0;
  for (;;) {
    const all = steps();
    if (index >= all.length) {
      break;
    }
    const step = all[index];
    const position = { title: TITLE, step: index + 1, totalSteps: all.length };
    let answer: StepAnswer<true>;
    switch (step) {
      case 'context':
        answer = await askContext(env, context, position, token).then((value) => (value === undefined || value === BACK ? value : ((context = value.name), (namespace = undefined), true)));
        break;
      case 'namespace':
        answer = await askNamespace(env, context, namespace, position, token).then((value) => (value === undefined || value === BACK ? value : ((namespace = value), true)));
        break;
      case 'pod': {
        const picked = await askPod(env, context, namespace, position, token);
        if (picked === undefined || picked === BACK) {
          answer = picked;
        } else {
          await readPod(picked);
          answer = true;
        }
        break;
      }
      default: {
        if (plan === undefined || choices === undefined) {
          throw new Error('internal: no pod before the attach steps');
        }
        const next = await askAttachStep(step, env, plan, choices, pod!, args, position, token);
        answer = next === undefined || next === BACK ? next : ((choices = next), true);
      }
    }
    if (answer === undefined) {
      return undefined;
    }
    index = answer === BACK ? Math.max(0, index - 1) : index + 1;
  }
  if (pod === undefined || choices === undefined || namespace === undefined) {
    return undefined;
  }
  return { context, namespace, pod, choices };
}

export async function askContext(env: PickerEnvironment, current: string | undefined, position: { title: string; step: number; totalSteps: number }, token?: vscode.CancellationToken): Promise<StepAnswer<ContextSummary>> {
  const selected = current ?? env.activeContext;
  const items = env.contexts().then((contexts) =>
    contexts.map(
      (c): Item<ContextSummary> => ({
        label: c.name,
        iconPath: new vscode.ThemeIcon(c.name === selected ? 'vm-active' : 'vm'),
        description: [c.current ? 'kubeconfig current-context' : undefined, c.name === env.activeContext && !c.current ? 'active' : undefined, `namespace ${c.namespace}`].filter(Boolean).join(' · '),
        detail: c.server,
        value: c,
      }),
    ),
  );
  const answer = await pickStep<Item<ContextSummary>>({ ...position, placeholder: 'Cluster (kubeconfig context)', items, active: (list) => list.find((i) => i.value.name === selected), matchOnDetail: true }, token);
  return answer === undefined || answer === BACK ? answer : answer.value;
}

const OTHER = '\0other';

export async function askNamespace(env: PickerEnvironment, context: string | undefined, current: string | undefined, position: { title: string; step: number; totalSteps: number }, token?: vscode.CancellationToken): Promise<StepAnswer<string>> {
  const api = await env.api(context);
  const preferred = current ?? api.defaultNamespace;
  const items = api.listNamespaces().then(
    (list): Item<string>[] => [
      ...list.items
        .map((ns) => ns.metadata?.name ?? '')
        .filter((name) => name !== '')
        .sort()
        .map((name): Item<string> => ({ label: name, iconPath: new vscode.ThemeIcon('symbol-namespace'), description: name === api.defaultNamespace ? 'context default' : undefined, value: name })),
      { label: 'Other namespace…', iconPath: new vscode.ThemeIcon('edit'), value: OTHER },
    ],
    (error: unknown): Item<string>[] => [
      { label: preferred, iconPath: new vscode.ThemeIcon('symbol-namespace'), description: 'context default', value: preferred },
      { label: 'Other namespace…', iconPath: new vscode.ThemeIcon('edit'), description: `namespaces cannot be listed: ${error instanceof Error ? error.message : String(error)}`, value: OTHER },
    ],
  );
  for (;;) {
    const answer = await pickStep<Item<string>>({ ...position, placeholder: `Namespace in ${api.contextName}`, items, active: (list) => list.find((i) => i.value === preferred) ?? list[0] }, token);
    if (answer === undefined || answer === BACK) {
      return answer;
    }
    if (answer.value !== OTHER) {
      return answer.value;
    }
    const typed = await inputStep({ ...position, prompt: 'Namespace name', value: preferred, validate: (v) => (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v.trim()) ? undefined : 'a namespace name is a DNS-1123 label: lowercase letters, digits and "-"') }, token);
    if (typed === undefined) {
      return undefined;
    }
    if (typed !== BACK) {
      return typed.trim();
    }
  }
}

export async function askPod(env: PickerEnvironment, context: string | undefined, namespace: string | undefined, position: { title: string; step: number; totalSteps: number }, token?: vscode.CancellationToken): Promise<StepAnswer<string>> {
  const api = await env.api(context);
  const ns = namespace ?? api.defaultNamespace;
  const items = api.listPods(ns).then((list) => {
    if (list.items.length === 0) {
      throw new Error(`no pods in namespace ${ns} (context ${api.contextName})`);
    }
    return list.items
      .filter((p) => p.metadata?.name !== undefined)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
      .map((p): Item<string> => {
        const summary = summarizePod(p);
        const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
        return {
          label: p.metadata!.name!,
          iconPath: new vscode.ThemeIcon(summary.health === 'ok' ? 'pass' : summary.health === 'crashing' ? 'error' : summary.health === 'unready' ? 'warning' : 'circle-outline'),
          description: `${summary.status} · ${summary.ready}/${summary.total} ready${summary.restarts > 0 ? ` · ${summary.restarts} restarts` : ''}${finished ? ' · finished: cannot be debugged in place' : ''}`,
          value: p.metadata!.name!,
        };
      });
  });
  const answer = await pickStep<Item<string>>({ ...position, placeholder: `Pod in ${ns} (${api.contextName})`, items, active: (list) => list[0] }, token);
  return answer === undefined || answer === BACK ? answer : answer.value;
}

async function askAttachStep(
  step: AttachStepId,
  env: PickerEnvironment,
  plan: AttachPlan,
  choices: AttachChoices,
  pod: V1Pod,
  args: NormalizedAttachArguments,
  position: { title: string; step: number; totalSteps: number },
  token?: vscode.CancellationToken,
): Promise<StepAnswer<AttachChoices>> {
  const podName = pod.metadata?.name ?? '';
  switch (step) {
    case 'image': {
      const pick = await askImage(env, choices, position, token);
      return pick === undefined || pick === BACK ? pick : choicesAfterImagePick(plan, choices, pick, args);
    }
    case 'target': {
      type Target = string | undefined;
      const candidates = targetCandidates(pod);
      const none: Item<Target> = {
        label: 'No target container',
        iconPath: new vscode.ThemeIcon('globe'),
        description: noTargetDescription(pod),
        value: undefined,
      };
      const containers = candidates.map(
        (c): Item<Target> => ({
          label: c.name,
          iconPath: new vscode.ThemeIcon(c.running ? 'vm-running' : 'vm-outline'),
          description: [c.kind === 'sidecar' ? 'sidecar' : undefined, c.running ? 'running' : 'not running', c.image].filter(Boolean).join(' · '),
          value: c.name,
        }),
      );
      // Network images and pods that share their process namespace need no target: offer that first.
      const noTargetFirst = prefersNoTarget(pod, choices.image);
      const items = noTargetFirst ? [none, ...containers] : [...containers, none];
      const answer = await pickStep<Item<Target>>({ ...position, placeholder: `Target container in ${podName}: the debug container sees its processes and filesystem`, items, active: (list) => list.find((i) => i.value === choices.target) }, token);
      return answer === undefined || answer === BACK ? answer : { ...choices, target: answer.value };
    }
    case 'profile': {
      const items = profileEntries().map(
        (entry): Item<ProfileChoice> => ({
          label: entry.profile,
          iconPath: new vscode.ThemeIcon(entry.addsPrivilege ? 'shield' : entry.profile === 'auto' ? 'sparkle' : 'lock'),
          description: `${entry.summary}${entry.addsPrivilege ? ' · asks for confirmation' : ''}${entry.deprecated ? ' · deprecated' : ''}`,
          value: entry.profile,
        }),
      );
      const answer = await pickStep<Item<ProfileChoice>>({ ...position, placeholder: 'Security profile', items, active: (list) => list.find((i) => i.value === choices.profile) }, token);
      return answer === undefined || answer === BACK ? answer : { ...choices, profile: answer.value };
    }
    case 'env': {
      const answer = await inputStep(
        {
          ...position,
          prompt: 'Environment variables (optional): NAME=value, separated by spaces; quote values with spaces',
          placeholder: 'e.g. LOG_LEVEL=debug GREETING="hello world" — empty for none',
          value: formatEnvAssignments(choices.env),
          validate: (value) => {
            const parsed = parseEnvAssignments(value);
            return 'error' in parsed ? parsed.error : undefined;
          },
        },
        token,
      );
      if (answer === undefined || answer === BACK) {
        return answer;
      }
      const parsed = parseEnvAssignments(answer);
      return 'error' in parsed ? undefined : { ...choices, env: parsed.value };
    }
    case 'command': {
      const answer = await inputStep(
        {
          ...position,
          prompt: 'Command (optional): empty runs the image’s entrypoint',
          placeholder: 'e.g. sh, or sh -c "sleep 1d"',
          value: formatCommandLine(choices.command),
          validate: (value) => {
            const parsed = splitCommandLine(value);
            return 'error' in parsed ? parsed.error : undefined;
          },
        },
        token,
      );
      if (answer === undefined || answer === BACK) {
        return answer;
      }
      const parsed = splitCommandLine(answer);
      return 'error' in parsed ? undefined : { ...choices, command: parsed.value };
    }
    case 'name': {
      const taken = new Set([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c) => c.name));
      const answer = await inputStep(
        {
          ...position,
          prompt: 'Debug container name (optional): empty for a generated debugger-xxxxx, and to be offered a running one with the same image and target',
          placeholder: 'debugger-xxxxx (generated)',
          value: choices.name ?? '',
          validate: (value) => {
            const name = value.trim();
            if (name === '') {
              return undefined;
            }
            if (name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
              return 'a container name is a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters';
            }
            return taken.has(name) ? `"${name}" is already a container of ${podName}` : undefined;
          },
        },
        token,
      );
      if (answer === undefined || answer === BACK) {
        return answer;
      }
      const name = answer.trim();
      const { name: _previous, ...rest } = choices;
      return name === '' ? rest : { ...rest, name };
    }
  }
}

type ImagePick = { template: DebugTemplate } | { image: string };

async function askImage(env: PickerEnvironment, choices: AttachChoices, position: { title: string; step: number; totalSteps: number }, token?: vscode.CancellationToken): Promise<StepAnswer<ImagePick>> {
  const { settings } = env;
  const entries = imageEntries(settings, env.recentImages);
  const CUSTOM = { custom: true } as const;
  type Value = ImagePick | typeof CUSTOM;
  const items: Item<Value>[] = [];
  let lastGroup = '';
  for (const entry of entries) {
    const group = entry.kind === 'template' ? 'Templates' : entry.kind === 'custom' ? '' : entry.source === 'recent' ? 'Recently used' : entry.source === 'preset' ? 'Presets' : 'Default';
    if (group !== lastGroup && group !== '') {
      items.push(separator<Value>(group));
    }
    lastGroup = group;
    if (entry.kind === 'template') {
      const t = entry.template;
      items.push({
        label: t.name,
        iconPath: new vscode.ThemeIcon('symbol-snippet'),
        description: [t.image, t.profile !== undefined ? `profile ${t.profile}` : undefined, t.customSpec !== undefined ? 'custom spec' : undefined].filter(Boolean).join(' · '),
        detail: t.description,
        value: { template: t },
      });
    } else if (entry.kind === 'image') {
      items.push({ label: entry.image, iconPath: new vscode.ThemeIcon(entry.source === 'recent' ? 'history' : 'package'), description: entry.description, value: { image: entry.image } });
    } else {
      items.push(separator<Value>(''));
      items.push({ label: 'Custom image…', iconPath: new vscode.ThemeIcon('edit'), description: describeAllowedImages(settings.policy) !== undefined ? `allowed: ${describeAllowedImages(settings.policy)}` : undefined, value: CUSTOM });
    }
  }
  const selected = (list: readonly Item<Value>[]): Item<Value> | undefined =>
    list.find((i) => i.kind !== vscode.QuickPickItemKind.Separator && (choices.template !== undefined ? 'template' in i.value && i.value.template.name === choices.template.name : 'image' in i.value && i.value.image === choices.image)) ??
    list.find((i) => i.kind !== vscode.QuickPickItemKind.Separator && 'image' in i.value);
  const placeholder = `Debug image${settings.restricted ? ' (untrusted workspace: its image settings are ignored)' : ''}`;
  for (;;) {
    const answer = await pickStep<Item<Value>>({ ...position, placeholder, items, active: selected }, token);
    if (answer === undefined || answer === BACK) {
      return answer;
    }
    if (!('custom' in answer.value)) {
      return answer.value;
    }
    const typed = await inputStep(
      {
        ...position,
        prompt: 'Image reference',
        placeholder: 'e.g. registry.example.com/tools/debug:1.2 or busybox@sha256:…',
        value: choices.template === undefined ? choices.image : '',
        validate: (value) => {
          const image = value.trim();
          const parsed = parseImageReference(image);
          if ('error' in parsed) {
            return `invalid image reference: ${parsed.error}`;
          }
          return isImageAllowed(image, settings.policy) ? undefined : `not allowed by ephemeralDebug.governance.allowedImages (${describeAllowedImages(settings.policy) ?? 'any'})`;
        },
      },
      token,
    );
    if (typed === undefined) {
      return undefined;
    }
    if (typed !== BACK) {
      return { image: typed.trim() };
    }
  }
}

