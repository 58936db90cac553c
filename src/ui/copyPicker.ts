/**
 * The "Debug a Copy of Pod…" quick input: the application container (keep alive, another command, or as is),
 * images to change, the debug container, and the options (process sharing, keep labels/probes/…, same node,
 * replace). Renders the choices of ./pure/copyPlan.ts; Back goes one step back, Escape cancels.
 */
import * as vscode from 'vscode';
import type { CrashInfo } from '../debug/crashInfo';
import type { PodCopyKeep } from '../debug/podCopy';
import { formatCommandLine, splitCommandLine } from './pure/commandLine';
import { appContainerCandidates, crashHeadline, formatSetImages, KEEP_ALIVE_COMMAND, parseSetImages, type AppContainerAction, type CopyChoices } from './pure/copyPlan';
import { isImageAllowed, type EphemeralDebugSettings } from './pure/settingsModel';
import { BACK, inputStep, pickStep, type StepAnswer, type StepPosition } from './quickInput';
import type { PodTarget } from './podTarget';

const TOTAL_STEPS = 4;

type AppItem = vscode.QuickPickItem & { readonly action: AppContainerAction | { readonly kind: 'ask-command'; readonly container: string } };

/** undefined when the user dismissed it. */
export async function runCopyPicker(target: PodTarget, crash: CrashInfo | undefined, settings: EphemeralDebugSettings, start: CopyChoices): Promise<CopyChoices | undefined> {
  const where = `${target.namespace}/${target.podName}`;
  const title = crash !== undefined ? `Debug a Copy of ${where} · ${crashHeadline(crash)}` : `Debug a Copy of ${where}`;
  const containers = appContainerCandidates(target.pod);
  const crashingNames = new Set((crash?.containers ?? []).filter((c) => !c.init).map((c) => c.container));
  let choices = start;
  let step = 0;
  for (;;) {
    const position = (n: number): StepPosition => ({ title, step: n, totalSteps: TOTAL_STEPS });
    let answer: StepAnswer<CopyChoices>;
    switch (step) {
      case 0:
        answer = await askAppAction(position(1), containers, crashingNames, choices);
        break;
      case 1:
        answer = await askSetImages(position(2), containers, settings, choices);
        break;
      case 2:
        answer = await askDebugContainer(position(3), settings, choices);
        break;
      default:
        answer = await askOptions(position(4), choices);
    }
    if (answer === undefined) return undefined;
    if (answer === BACK) {
      step = Math.max(0, step - 1);
      continue;
    }
    choices = answer;
    if (step === 3) return choices;
    step++;
  }
}

async function askAppAction(position: StepPosition, containers: readonly string[], crashing: ReadonlySet<string>, choices: CopyChoices): Promise<StepAnswer<CopyChoices>> {
  for (;;) {
    const items: AppItem[] = [];
    for (const container of containers) {
      const state = crashing.has(container) ? 'crashing' : undefined;
      items.push(
        {
          label: `$(debug-pause) Keep ${container} alive`,
          description: state,
          detail: `Its command is replaced by a sleep loop (${formatCommandLine(KEEP_ALIVE_COMMAND.slice(0, 2))} …), so its filesystem and environment can be inspected; needs sh in the image`,
          action: { kind: 'keep-alive', container },
        },
        {
          label: `$(terminal) Run another command in ${container}…`,
          description: state,
          detail: 'e.g. sh, or the application with a debug flag; it gets a TTY, so it can be attached to',
          action: { kind: 'ask-command', container },
        },
      );
    }
    items.push({ label: '$(check) Keep the containers as they are', detail: 'The copy runs the same commands (a crashing container keeps crashing)', action: { kind: 'keep' } });
    const current = choices.app;
    const picked = await pickStep<AppItem>({
      ...position,
      placeholder: containers.length > 1 ? 'What should the copy do with the application containers?' : `What should the copy do with ${containers[0] ?? 'the container'}?`,
      items,
      active: (list) => list.find((i) => isCurrentAction(i.action, current)),
      matchOnDetail: false,
    });
    if (picked === undefined || picked === BACK) return picked;
    if (picked.action.kind !== 'ask-command') return { ...choices, app: picked.action };
    const container = picked.action.container;
    const previous = current.kind === 'command' && current.container === container ? formatCommandLine(current.command) : 'sh';
    const line = await inputStep({
      ...position,
      prompt: `The command ${container} runs in the copy (argv, shell-like quoting; no shell unless you run one)`,
      value: previous,
      placeholder: 'sh',
      validate: (value) => {
        const parsed = splitCommandLine(value);
        if ('error' in parsed) return parsed.error;
        return parsed.value.length === 0 ? 'Give a command, e.g. sh' : undefined;
      },
    });
    if (line === undefined) return undefined;
    if (line === BACK) continue; // back to the choice of action
    const parsed = splitCommandLine(line);
    if ('value' in parsed) return { ...choices, app: { kind: 'command', container, command: parsed.value } };
  }
}

function isCurrentAction(item: AppItem['action'], current: AppContainerAction): boolean {
  if (current.kind === 'keep') return item.kind === 'keep';
  const kind = current.kind === 'keep-alive' ? 'keep-alive' : 'ask-command';
  return item.kind === kind && item.container === current.container;
}

async function askSetImages(position: StepPosition, containers: readonly string[], settings: EphemeralDebugSettings, choices: CopyChoices): Promise<StepAnswer<CopyChoices>> {
  const answer = await inputStep({
    ...position,
    prompt: 'Change images in the copy (optional): container=image, or *=image for every container; Enter keeps them',
    value: formatSetImages(choices.setImages),
    placeholder: `e.g. ${containers[0] ?? 'app'}=busybox:1.36`,
    validate: (value) => {
      const parsed = parseSetImages(value, containers);
      if ('error' in parsed) return parsed.error;
      const refused = Object.values(parsed.value).find((image) => !isImageAllowed(image, settings.policy));
      return refused !== undefined ? `Image ${refused} is not allowed by the governance policy (ephemeralDebug.governance.allowedImages)` : undefined;
    },
  });
  if (answer === undefined || answer === BACK) return answer;
  const parsed = parseSetImages(answer, containers);
  return 'value' in parsed ? { ...choices, setImages: parsed.value } : undefined;
}

type DebugItem = vscode.QuickPickItem & { readonly choice: 'default' | 'other' | 'none' };

async function askDebugContainer(position: StepPosition, settings: EphemeralDebugSettings, choices: CopyChoices): Promise<StepAnswer<CopyChoices>> {
  const defaultImage = settings.defaultImage;
  for (;;) {
    const current: DebugItem['choice'] = choices.debugImage === null ? 'none' : choices.debugImage === defaultImage ? 'default' : 'other';
    const allowed = isImageAllowed(defaultImage, settings.policy);
    const picked = await pickStep<DebugItem>({
      ...position,
      placeholder: 'Add a debug container to the copy?',
      items: [
        {
          label: `$(debug) Add a debug container: ${defaultImage}`,
          description: allowed ? 'ephemeralDebug.defaultImage' : 'not allowed by the governance policy',
          detail: `Shares the copy's processes when process sharing is on; profile ${choices.profile ?? settings.defaultProfile}`,
          choice: 'default',
        },
        { label: '$(edit) Add a debug container with another image…', description: current === 'other' && choices.debugImage !== null ? choices.debugImage : undefined, choice: 'other' },
        { label: '$(circle-slash) No debug container', detail: "The copy's own containers only; the terminal attaches to the container whose command you replaced, if it has a TTY", choice: 'none' },
      ],
      active: (list) => list.find((i) => i.choice === current),
    });
    if (picked === undefined || picked === BACK) return picked;
    if (picked.choice === 'none') return { ...choices, debugImage: null };
    if (picked.choice === 'default') return { ...choices, debugImage: defaultImage };
    const image = await inputStep({
      ...position,
      prompt: 'The debug container image',
      value: current === 'other' && choices.debugImage !== null ? choices.debugImage : '',
      placeholder: 'e.g. nicolaka/netshoot',
      validate: (value) =>
        value.trim() === '' ? 'Give an image, e.g. busybox:1.36' : !isImageAllowed(value.trim(), settings.policy) ? `Image ${value.trim()} is not allowed by the governance policy (ephemeralDebug.governance.allowedImages)` : undefined,
    });
    if (image === undefined) return undefined;
    if (image !== BACK) return { ...choices, debugImage: image.trim() };
  }
}

type OptionKey = 'shareProcesses' | 'sameNode' | 'replace' | `keep.${keyof PodCopyKeep}`;
type OptionItem = vscode.QuickPickItem & { readonly key: OptionKey };

const KEEP_OPTIONS: readonly { key: keyof PodCopyKeep; label: string }[] = [
  { key: 'labels', label: 'Keep labels (Services would send the copy traffic)' },
  { key: 'annotations', label: 'Keep annotations' },
  { key: 'livenessProbe', label: 'Keep liveness probes' },
  { key: 'readinessProbe', label: 'Keep readiness probes' },
  { key: 'startupProbe', label: 'Keep startup probes' },
  { key: 'initContainers', label: 'Keep init containers' },
];

async function askOptions(position: StepPosition, choices: CopyChoices): Promise<StepAnswer<CopyChoices>> {
  const items: OptionItem[] = [
    { label: 'Share processes', detail: 'Containers of the copy see each other’s processes (kubectl --share-processes)', key: 'shareProcesses', picked: choices.shareProcesses },
    ...KEEP_OPTIONS.map((o): OptionItem => ({ label: o.label, key: `keep.${o.key}`, picked: choices.keep[o.key] === true })),
    { label: 'Run on the same node', detail: 'Keep spec.nodeName of the original', key: 'sameNode', picked: choices.sameNode },
    { label: 'Replace the original pod', detail: 'Delete the original once the copy runs (asks first)', key: 'replace', picked: choices.replace },
  ];
  const selected = await multiPickStep(position, 'Options (Space toggles, Enter creates the copy)', items);
  if (selected === undefined || selected === BACK) return selected;
  const on = new Set(selected.map((i) => i.key));
  const keep: { -readonly [K in keyof PodCopyKeep]: boolean } = {};
  for (const o of KEEP_OPTIONS) {
    if (on.has(`keep.${o.key}`)) keep[o.key] = true;
  }
  return { ...choices, shareProcesses: on.has('shareProcesses'), sameNode: on.has('sameNode'), replace: on.has('replace'), keep };
}

/** A multi-select step with Back; resolves to the selected items (possibly none). */
function multiPickStep<T extends vscode.QuickPickItem>(position: StepPosition, placeholder: string, items: readonly T[]): Promise<StepAnswer<readonly T[]>> {
  const pick = vscode.window.createQuickPick<T>();
  pick.title = position.title;
  pick.step = position.step;
  pick.totalSteps = position.totalSteps;
  pick.placeholder = placeholder;
  pick.canSelectMany = true;
  pick.ignoreFocusOut = true;
  pick.matchOnDetail = false;
  pick.buttons = position.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  pick.items = items;
  pick.selectedItems = items.filter((i) => i.picked === true);
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: StepAnswer<readonly T[]>): void => {
      if (done) return;
      done = true;
      subscriptions.forEach((s) => s.dispose());
      pick.dispose();
      resolve(value);
    };
    const subscriptions = [
      pick.onDidAccept(() => finish([...pick.selectedItems])),
      pick.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish(BACK);
      }),
      pick.onDidHide(() => finish(undefined)),
    ];
    pick.show();
  });
}
