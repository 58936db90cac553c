/**
 * The UI suite's steps, in order, each driving the workbench as a person would. Later steps build on earlier
 * ones (the debug container of step 2 serves the filesystem, the debugger and the downloads; the last step
 * stops it), so the runner stops at the first failure and reports the rest as not run. Steps with a `readme`
 * entry provide a README screenshot (media/screenshots/).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { deletePodAndWait, demoManifest } from '../cluster/demoReset';
import { testClusterKind } from '../cluster/testCluster';
import { execCollect } from '../suite/loopback/helpers/client';
import { squash, waitFor, type QuickInputStep, type Workbench } from './workbench';

export interface StepContext {
  readonly wb: Workbench;
  /** The test cluster's admin context, the Clusters view's root: loopback-admin, realnode-admin, … */
  readonly cluster: string;
  /** The demo app's source, as the workspace's first folder holds it (localRoot of the debugger). */
  readonly serverJsPath: string;
  /** A file of a demo app's checkout in the workspace (`python-app`, `go-app`). */
  readonly sourcePath: (app: string, file: string) => string;
  /** GET on the demo node-app's port 8080 through a port-forward the runner holds. */
  readonly request: (path: string) => Promise<string>;
  /** GET on a local port of this machine (where the extension host runs, so its port-forwards listen). */
  readonly get: (port: number, path: string) => Promise<string>;
  /** The test cluster's admin credentials, to check what a step did on the pod itself. */
  readonly kubeConfig: k8s.KubeConfig;
  /** HOME of code-server (the extension host): where Download… saves by default; a scratch folder. */
  readonly home: string;
  readonly log: (line: string) => void;
  /** This step's screenshot file, for a step whose best moment is not its end. */
  readonly screenshotPath: string;
}

export interface Step {
  /** Short name, used in the screenshot file name test-results/ui/NN-name.png. */
  readonly name: string;
  readonly title: string;
  readonly timeoutMs: number;
  /** This step's screenshot is a README image: media/screenshots/<file>.png, with this alt text. */
  readonly readme?: { readonly file: string; readonly alt: string };
  readonly run: (ctx: StepContext) => Promise<void>;
}

const VIEW_CONTAINER = /^Kubernetes Ephemeral Debug/;
/** busybox ash's root prompt as rendered. */
const PROMPT = /(^|\n)\/ # /;

/** Answers the extension's modal questions as a user who wants the debug container would. */
async function answerDialogs(ctx: StepContext, answered: string[]): Promise<void> {
  const dialog = await ctx.wb.dialog();
  if (dialog === undefined) return;
  const preferred = ['Add Debug Container', 'Add', 'Reattach'];
  const button = preferred.find((b) => dialog.buttons.includes(b));
  if (button === undefined) throw new Error(`unexpected dialog: "${dialog.message}" [${dialog.buttons.join(', ')}]`);
  ctx.log(`dialog "${dialog.message.slice(0, 100)}" → ${button}`);
  answered.push(`${dialog.message.slice(0, 60)} → ${button}`);
  await ctx.wb.clickDialogButton(button);
}

/** Types `ps` into the active terminal; waits for a process matching `process` and the next prompt; returns the PID header and matching lines. */
/** `command` narrows ps where the listing is longer than the terminal (a node's): the terminal holds only its last rows. */
async function psInActiveTerminal(wb: Workbench, process: RegExp, command = 'ps'): Promise<string> {
  await wb.page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
  await wb.page.keyboard.type(command);
  await wb.page.keyboard.press('Enter');
  const ps = await waitFor(`${process.source} in ps and a new prompt`, async () => {
    const text = await wb.activeTerminalText();
    const after = text.slice(text.lastIndexOf('# ps'));
    return process.test(after) && PROMPT.test(after.slice(4)) ? after : undefined;
  }, 30_000);
  return ps.split('\n').filter((l) => process.test(l) || /PID/.test(l)).map((l) => l.trim()).join(' / ');
}

/** Issue 13, item 8: the picker counts "(1/N)" … "(N/N)", one total throughout (it once jumped from "(3/4)" to "(4/9)"). */
function checkStepCounter(seen: readonly QuickInputStep[]): void {
  const counters = seen.map((s) => /\((\d+)\/(\d+)\)$/.exec(s.title)).map((m) => (m === null ? undefined : { step: Number(m[1]), total: Number(m[2]) }));
  const total = seen.length;
  counters.forEach((c, i) => {
    if (c === undefined || c.step !== i + 1 || c.total !== total) throw new Error(`step ${i + 1} of ${total} is titled "${seen[i]!.title}": ${seen.map((s) => s.title).join(' | ')}`);
  });
}

/** The line of server.js that counts requests: where a user breaks (the walkthrough names it). */
function requestsLine(ctx: StepContext): number {
  const line = readFileSync(ctx.serverJsPath, 'utf8').split('\n').findIndex((l) => l.includes('requests++')) + 1;
  if (line <= 0) throw new Error('server.js has no requests++ line');
  return line;
}

/** Go to `line` of the active editor and toggle a breakpoint (F9), as from the keyboard; waits for its glyph. */
async function toggleBreakpoint(wb: Workbench, line: number): Promise<void> {
  const page = wb.page;
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+G');
  await waitFor('the Go to Line input', () => wb.quickInputVisible(), 15_000);
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await waitFor('the Go to Line input to close', async () => !(await wb.quickInputVisible()), 15_000);
  await page.keyboard.press('F9');
  const glyph = page.locator('.editor-group-container.active .monaco-editor [class*="codicon-debug-breakpoint"]');
  await waitFor('the breakpoint glyph in the editor margin', async () => (await glyph.count()) > 0, 15_000);
}

/**
 * Attach Debugger… (Node.js) from node-app's context menu in the Clusters view, then requests through the
 * runner's port-forward until one stops at the breakpoint on `line`. Checks what the user sees: "Paused on
 * breakpoint", the top frame at server.js:`line`, the cursor on that line. Returns the held requests
 * (they answer after Continue).
 */
async function attachAndStopAt(ctx: StepContext, line: number): Promise<Promise<string>[]> {
  const { wb } = ctx;
  const page = wb.page;
  await wb.openActivity(VIEW_CONTAINER);
  await wb.contextMenu(wb.row('node-app', 3), 'Attach Debugger…', wb.quickInputOpened('the Attach Debugger runtime quick pick'));
  await wb.pickInQuickInput('Node.js', 'Attach Debugger runtime');
  const answered: string[] = [];
  const toolbar = page.locator('.debug-toolbar');
  await waitFor('the debug toolbar', async () => {
    await answerDialogs(ctx, answered);
    return toolbar.isVisible();
  }, 180_000, 500);
  ctx.log(`debug toolbar up${answered.length > 0 ? `; dialogs: ${answered.join('; ')}` : ''}`);

  // The first requests may arrive before js-debug has bound the breakpoint; a request that stops stays pending until Continue.
  const pending: Promise<string>[] = [];
  const paused = async (): Promise<boolean> => {
    const topFrame = await page.locator('.monaco-editor .debug-top-stack-frame-line').count();
    const continueShown = await toolbar.locator('.codicon-debug-continue').isVisible().catch(() => false);
    return topFrame > 0 && continueShown;
  };
  let sent = 0;
  await waitFor('the debugger to stop at the breakpoint', async () => {
    if (await paused()) return true;
    if (pending.length === 0 || sent % 8 === 0) pending.push(ctx.request(`/from-ui-test-${pending.length + 1}`).catch((e: unknown) => `error: ${String(e)}`));
    sent++;
    return false;
  }, 90_000, 500);
  const pausedLabel = page.locator('.part.sidebar').getByText(/paused on breakpoint/i).first();
  await pausedLabel.waitFor({ state: 'visible', timeout: 30_000 });
  const frame = (await page.locator('.part.sidebar .monaco-list-row', { hasText: 'server.js' }).first().innerText()).replace(/\s+/g, ' ');
  if (!frame.includes(`${line}:`)) throw new Error(`the top stack frame is "${frame}", not server.js:${line}`);
  const cursor = await waitFor(`the editor's cursor on line ${line}`, async () => {
    const text = await page.locator('#status\\.editor\\.selection').innerText();
    return text.includes(`Ln ${line},`) ? text : undefined;
  }, 15_000);
  ctx.log(`paused on breakpoint: frame "${frame}", ${cursor}`);
  return pending;
}

/** Continue (F5): one of the held requests answers as node-app does. */
async function continueAndAnswer(ctx: StepContext, pending: Promise<string>[]): Promise<void> {
  await ctx.wb.page.keyboard.press('F5');
  const answers = await Promise.race([Promise.all(pending), new Promise<undefined>((resolve) => setTimeout(resolve, 30_000, undefined))]);
  const answer = answers?.find((a) => a.includes('"app":"node-app"'));
  if (answer === undefined) throw new Error(`no answer from node-app after Continue: ${JSON.stringify(answers)}`);
  ctx.log(`after Continue: ${answer.trim()}`);
}

/** The running debug container (ephemeral, targeting `app`) of demo/node-app, as the API server lists it. */
async function nodeAppDebugContainer(ctx: StepContext): Promise<string> {
  const pod = await ctx.kubeConfig.makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace: 'demo', name: 'node-app' });
  const running = new Set((pod.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running !== undefined).map((s) => s.name));
  const name = (pod.spec?.ephemeralContainers ?? []).find((c) => c.targetContainerName === 'app' && running.has(c.name))?.name;
  if (name === undefined) throw new Error('demo/node-app has no running debug container targeting app');
  return name;
}

/** A file of node-app's app container as the pod has it: read through /proc/1/root from its debug container. */
async function fileOnPod(ctx: StepContext, debugContainer: string, path: string): Promise<string | undefined> {
  const result = await execCollect(ctx.kubeConfig, 'demo', 'node-app', debugContainer, ['cat', `/proc/1/root${path}`]);
  return result.exitCode === 0 ? result.stdout : undefined;
}

/** Replaces the text of the simple file dialog (code-server has no native one) with `path` and accepts it. */
async function answerFileDialog(wb: Workbench, path: string, what: string): Promise<void> {
  await waitFor(`the ${what} file dialog`, () => wb.quickInputVisible(), 30_000);
  const input = wb.quickInput().locator('input.input').first();
  await input.fill(path);
  await waitFor(`the ${what} dialog to show ${path}`, async () => (await input.inputValue()) === path, 15_000);
  // Its OK button ("Save", "Upload to …") accepts: Enter can land while the dialog is still reading the typed
  // path and be taken for navigation, so click until it closes.
  const ok = wb.quickInput().locator('.quick-input-action .monaco-button:visible').first();
  await waitFor(`the ${what} dialog to close`, async () => {
    if (!(await wb.quickInputVisible())) return true;
    await ok.click({ timeout: 2000 }).catch(() => undefined);
    return false;
  }, 30_000, 1000);
}


/** The line (1-based) of `file` holding `text`. */
function lineOf(file: string, text: string): number {
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
  if (line <= 0) throw new Error(`${file} has no line with ${text}`);
  return line;
}

/** Deletes a demo pod and creates it again from workloads.yaml: a Python process takes debugpy once. */
async function recreateDemoPod(ctx: StepContext, name: string): Promise<void> {
  const core = ctx.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pod = demoManifest().pods.find((p) => p.metadata?.namespace === 'demo' && p.metadata.name === name);
  if (pod === undefined) throw new Error(`workloads.yaml has no demo/${name}`);
  await deletePodAndWait(core, 'demo', name);
  await core.createNamespacedPod({ namespace: 'demo', body: pod });
  await waitFor(`demo/${name} to run`, async () => (await core.readNamespacedPod({ namespace: 'demo', name })).status?.containerStatuses?.some((c) => c.state?.running !== undefined) === true, 120_000, 500);
}

/** The newest running debug container of `image` in a demo pod (the one the debugger added). */
async function runningDebugContainer(ctx: StepContext, pod: string, image: string): Promise<string | undefined> {
  const read = await ctx.kubeConfig.makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace: 'demo', name: pod });
  const running = new Set((read.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running !== undefined).map((s) => s.name));
  return (read.spec?.ephemeralContainers ?? []).filter((c) => c.image === image && running.has(c.name)).pop()?.name;
}

interface DapStop {
  readonly pod: string;
  /** The debug image the runtime's attach uses: its container sends the request from inside the pod. */
  readonly image: string;
  readonly port: number;
  /** The file name shown in the call stack, and the line the breakpoint is on. */
  readonly file: string;
  readonly line: number;
  /** A local of the stopped frame the Variables view must show. */
  readonly variable: string;
  /** What the Debug Console's first line says about the way the session went. */
  readonly route: string;
}

/**
 * Once the debug toolbar is up (answering the privilege question), a request from inside the pod until the
 * debugger stops on `stop.line` of `stop.file`: "Paused on breakpoint", that frame on top, the cursor there,
 * the variable in the Variables view, the route in the Debug Console. Returns the held request.
 */
async function stopAtBreakpoint(ctx: StepContext, stop: DapStop): Promise<{ held: Promise<string> }> {
  const { wb } = ctx;
  const page = wb.page;
  const toolbar = page.locator('.debug-toolbar');
  const answered: string[] = [];
  await waitFor('the debug toolbar', async () => {
    await answerDialogs(ctx, answered);
    return toolbar.isVisible();
  }, 240_000, 500);
  ctx.log(`debug toolbar up${answered.length > 0 ? `; dialogs: ${answered.join('; ')}` : ''}`);
  const container = await waitFor(`the ${stop.image} debug container in ${stop.pod}`, () => runningDebugContainer(ctx, stop.pod, stop.image), 30_000);
  // A request sent before the breakpoint is bound answers at once; send again until one is held.
  const pending: { answer: Promise<string>; answered: boolean }[] = [];
  const send = (): void => {
    const path = `/from-ui-test-${pending.length + 1}`;
    const request = { answer: Promise.resolve(''), answered: false };
    request.answer = execCollect(ctx.kubeConfig, 'demo', stop.pod, container, ['wget', '-q', '-O', '-', `http://127.0.0.1:${stop.port}${path}`])
      .then((r) => r.stdout, (e: unknown) => `error: ${String(e)}`).finally(() => (request.answered = true));
    pending.push(request);
  };
  let polls = 0;
  await waitFor('the debugger to stop at the breakpoint', async () => {
    const topFrame = await page.locator('.monaco-editor .debug-top-stack-frame-line').count();
    if (topFrame > 0 && await toolbar.locator('.codicon-debug-continue').isVisible().catch(() => false)) return true;
    if (polls++ % 8 === 0) send();
    return false;
  }, 90_000, 500);
  // Among the threads' labels (dlv lists every goroutine, the hidden rows too), a visible one.
  const pausedLabels = page.locator('.part.sidebar').getByText(/paused on breakpoint/i);
  await waitFor('"Paused on breakpoint" in the call stack', async () => {
    for (const label of await pausedLabels.all()) if (await label.isVisible()) return true;
    return false;
  }, 30_000);
  const frame = (await page.locator('.part.sidebar .monaco-list-row', { hasText: stop.file }).first().innerText()).replace(/\s+/g, ' ');
  // "app.py 16:1", or "main.go 17" where the adapter gives no column.
  if (!new RegExp(`${stop.file.replace('.', '\\.')} ${stop.line}(:\\d+)?$`).test(frame.trim())) throw new Error(`the top stack frame is "${frame}", not ${stop.file}:${stop.line}`);
  await waitFor(`the editor's cursor on line ${stop.line}`, async () => (await page.locator('#status\\.editor\\.selection').innerText()).includes(`Ln ${stop.line},`), 15_000);
  const variable = page.locator('.part.sidebar .monaco-list-row', { hasText: new RegExp(`^\\s*${stop.variable}\\s*[=:]`) }).first();
  const shown = await waitFor(`"${stop.variable}" in the Variables view`, async () => ((await variable.count()) > 0 ? (await variable.innerText()).replace(/\s+/g, ' ') : undefined), 30_000);
  ctx.log(`paused: frame "${frame}"; variable ${shown.slice(0, 160)}`);
  await wb.runCommand('Debug Console: Focus on Debug Console View');
  const consoleLine = await waitFor(`"${stop.route}" in the Debug Console`, async () => (await page.locator('.repl .monaco-list-row').allInnerTexts()).find((l) => l.includes(stop.route)), 30_000);
  ctx.log(`debug console: ${consoleLine.trim().slice(0, 200)}`);
  // Held: the requests not answered while paused (one of them hit the breakpoint).
  const held = pending.filter((r) => !r.answered);
  if (held.length === 0) throw new Error('paused, but every request has answered: none is held by the breakpoint');
  return { held: Promise.race(held.map((r) => r.answer)) };
}

/** Continue (F5): the held request answers as `app` does; then the session ends and the breakpoints go. */
async function continueUntilAnswered(ctx: StepContext, held: Promise<string>, app: RegExp): Promise<void> {
  await ctx.wb.page.locator('.debug-toolbar .codicon-debug-continue').click();
  const answer = await Promise.race([held, new Promise<undefined>((resolve) => setTimeout(resolve, 30_000, undefined))]);
  if (answer === undefined || !app.test(answer)) throw new Error(`no answer matching ${app.source} after Continue: ${String(answer)}`);
  ctx.log(`after Continue: ${answer.trim()}`);
  await releaseDebugger(ctx.wb);
  await ctx.wb.runCommand('Remove All Breakpoints');
}

/** Opens a file of a source folder in the Explorer (folder row, then the file row). */
async function openSourceFile(wb: Workbench, folder: string, file: string, text: RegExp): Promise<void> {
  await wb.openActivity(/^Explorer/);
  await collapseExpanded(wb, 1, folder);
  await wb.clearHover();
  await wb.expand(wb.row(folder, 1), `the ${folder} folder`);
  await wb.row(file, 2).click();
  await waitFor(`${folder}/${file} in the active editor`, async () => squash(await wb.breadcrumbs()).includes(squash(`${folder}${file}`)) && text.test(await wb.editorText()), 60_000);
}

/** Collapses the expanded rows of a tree level in the side bar (but `keep`), so same-named rows below them are out of the way. */
async function collapseExpanded(wb: Workbench, level: number, keep: string): Promise<void> {
  const expanded = wb.page.locator(`.part.sidebar .monaco-list-row[aria-level="${level}"][aria-expanded="true"]`);
  for (let i = 0; i < 10; i++) {
    const labels = await expanded.locator('.label-name').allInnerTexts();
    const other = labels.find((l) => l.trim() !== keep);
    if (other === undefined) return;
    const row = wb.row(other.trim(), level);
    // The activity bar's tooltip, left by openActivity, would take the click.
    await wb.clearHover();
    await row.click();
    await waitFor(`${other} to collapse`, async () => (await row.getAttribute('aria-expanded')) !== 'true', 15_000);
  }
}

/** In the Explorer: python-app's target filesystem folder → /app → app.py in an editor (answering a debug container question). */
async function openTargetFile(ctx: StepContext, answered: string[]): Promise<void> {
  const { wb } = ctx;
  await wb.openActivity(/^Explorer/);
  const root = wb.row('python-app/app', 1);
  await waitFor('the python-app/app folder in the Explorer', async () => {
    await answerDialogs(ctx, answered);
    return (await root.count()) > 0;
  }, 120_000, 500);
  await collapseExpanded(wb, 1, 'python-app/app');
  await wb.expand(root, 'the target filesystem folder python-app/app');
  await wb.expand(wb.row('app', 2), 'the target\'s /app');
  await wb.row('app.py', 3).click();
  await waitFor('the k8s-target app.py in the active editor', async () => {
    await answerDialogs(ctx, answered);
    return squash(await wb.breadcrumbs()).includes('python-app/appappapp.py') && /send_response/.test(await wb.editorText());
  }, 60_000, 500);
}

/** Starts a launch configuration by name (Debug: Select and Start Debugging). */
async function startLaunchConfiguration(wb: Workbench, name: string): Promise<void> {
  await wb.runCommand('Debug: Select and Start Debugging');
  await wb.pickInQuickInput(name, 'Select and Start Debugging');
}

/**
 * A language without its VS Code extension, from the app's checkout in the workspace: a breakpoint (F9) in the local
 * file, its launch configuration started, a request stops there, the variable in Variables, Continue answers.
 */
function localSourceBreakpointStep(o: { name: string; language: string; app: string; file: string; lineText: string; fileText: RegExp; image: string; port: number; variable: string; route: string; answer: RegExp; note?: string }): Step {
  return {
    name: o.name,
    title: `${o.language} without its extension: a breakpoint in the local ${o.file}, the launch configuration${o.note ?? ''} started, a request stops there, "${o.variable}" in Variables, Continue answers`,
    timeoutMs: 360_000,
    run: async (ctx) => {
      const { wb } = ctx;
      const folder = `${o.app} (source)`;
      const line = lineOf(ctx.sourcePath(o.app, o.file), o.lineText);
      await openSourceFile(wb, folder, o.file, o.fileText);
      await toggleBreakpoint(wb, line);
      await startLaunchConfiguration(wb, `Kubernetes: ${o.app} (local source)`);
      const { held } = await stopAtBreakpoint(ctx, { pod: o.app, image: o.image, port: o.port, file: o.file, line, variable: o.variable, route: o.route });
      if (!squash(await wb.breadcrumbs()).includes(squash(`${folder}${o.file}`))) throw new Error(`stopped in ${await wb.breadcrumbs()}, not the local ${o.file}`);
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath });
      await continueUntilAnswered(ctx, held, o.answer);
    },
  };
}

export const steps: Step[] = [
  {
    name: 'tree',
    title: 'Clusters view: admin context → demo → node-app',
    timeoutMs: 120_000,
    readme: { file: 'explorer-tree', alt: 'The Clusters view: contexts, namespaces, pods with kubectl\'s status, containers' },
    run: async ({ wb, cluster }) => {
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('demo', 2), 'namespace demo');
      const pod = wb.row('node-app', 3);
      await wb.expand(pod, 'pod node-app');
      await wb.row('app', 4).waitFor({ state: 'visible', timeout: 30_000 });
      const description = await pod.locator('.label-description').innerText();
      if (!/Running/.test(description)) throw new Error(`node-app's description is "${description}", not Running`);
    },
  },
  {
    name: 'attach-terminal',
    title: 'Attach Debug Container… on node-app: Enter through the picker, shell prompt, head of server.js',
    timeoutMs: 240_000,
    readme: { file: 'attach-terminal', alt: 'The Clusters view and the attach terminal: head -n 1 /proc/1/root/app/server.js from a busybox debug container' },
    run: async (ctx) => {
      const { wb, page } = { wb: ctx.wb, page: ctx.wb.page };
      await wb.contextMenu(wb.row('node-app', 3), 'Attach Debug Container…');
      const seen = await wb.walkQuickInput('Attach Debug Container');
      ctx.log(`picker steps: ${seen.map((s) => `${s.title} — ${s.placeholder}`).join(' | ')}`);
      checkStepCounter(seen);
      // The privileged-profile question and the one-time "cannot be removed" notice are modal dialogs.
      const answered: string[] = [];
      await waitFor('the busybox prompt in the attach terminal', async () => {
        await answerDialogs(ctx, answered);
        return PROMPT.test(await wb.terminalText());
      }, 180_000, 500);
      ctx.log(`dialogs answered: ${answered.length === 0 ? 'none' : answered.join('; ')}`);
      const firstLine = readFileSync(ctx.serverJsPath, 'utf8').split('\n')[0]!;
      await page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
      await page.keyboard.type('head -n 1 /proc/1/root/app/server.js');
      await page.keyboard.press('Enter');
      await waitFor(`"${firstLine}" in the terminal`, async () => {
        const text = await wb.terminalText();
        const after = text.slice(text.lastIndexOf('head -n 1'));
        return squash(after).includes(squash(firstLine)) && PROMPT.test(after.slice(after.indexOf('server.js') + 9));
      }, 30_000);
    },
  },
  {
    name: 'palette-attach',
    title: 'Attach Debug Container from the Command Palette: context, namespace demo, pod python-app, target app, profile baseline; ps in the attach terminal shows the app',
    timeoutMs: 240_000,
    readme: { file: 'palette-attach', alt: 'Attach Debug Container from the Command Palette: the attach terminal on python-app, ps showing the app\'s python3' },
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      const page = wb.page;
      await wb.runCommand('Kubernetes Ephemeral Debug: Attach Debug Container');
      const picks: [RegExp, string][] = [
        [/^Cluster \(kubeconfig context\)/, cluster],
        [/^Namespace in /, 'demo'],
        [/^Pod in demo/, 'python-app'],
        [/^Target container in python-app/, 'app'],
        [/^Security profile/, 'baseline'],
      ];
      const seen = await wb.walkQuickInput('Attach Debug Container', 12, ({ placeholder }) => picks.find(([pattern]) => pattern.test(placeholder))?.[1]);
      ctx.log(`picker: ${seen.map((s) => `${s.title} — ${s.placeholder || s.message} → ${s.focused.split(',')[0] || '(input)'}`).join(' | ')}`);
      checkStepCounter(seen);
      for (const [pattern, wanted] of picks.slice(1)) {
        const step = seen.find((s) => pattern.test(s.placeholder));
        if (step === undefined || !step.focused.includes(wanted)) throw new Error(`the picker had no step "${pattern.source}" answered with ${wanted}: ${JSON.stringify(seen)}`);
      }
      const answered: string[] = [];
      await waitFor('the busybox prompt in the python-app attach terminal', async () => {
        await answerDialogs(ctx, answered);
        const text = await wb.activeTerminalText();
        return /python-app/.test(text) && PROMPT.test(text);
      }, 180_000, 500);
      if (answered.length > 0) ctx.log(`dialogs answered: ${answered.join('; ')}`);
      // The debug container shares the target's processes: the app's python3 is in ps.
      ctx.log(`ps: ${await psInActiveTerminal(wb, /python3/)}`);
      await wb.dismissUnrelatedToasts();
      await wb.clearHover();
      await page.screenshot({ path: ctx.screenshotPath });
    },
  },
  {
    name: 'target-filesystem',
    title: 'Open Target Filesystem on the app container, /app/server.js in an editor',
    timeoutMs: 180_000,
    readme: { file: 'target-filesystem', alt: 'The target filesystem in the editor: /app/server.js of the distroless node-app pod' },
    run: async (ctx) => {
      const { wb } = ctx;
      await wb.openActivity(VIEW_CONTAINER);
      await wb.contextMenu(wb.row('app', 4), 'Open Target Filesystem');
      await wb.pickInQuickInput('Add to Workspace', 'Open Target Filesystem');
      await wb.openActivity(/^Explorer/);
      const root = wb.row('node-app/app', 1);
      await wb.expand(root, 'the target filesystem folder node-app/app');
      await wb.expand(wb.row('app', 2), 'the target\'s /app');
      await wb.row('server.js', 3).click();
      await waitFor('the breadcrumbs node-app/app › app › server.js over the active editor', async () => squash(await wb.breadcrumbs()).includes('node-app/appappserver.js'), 60_000);
      await waitFor('the target\'s server.js text in the editor', async () => /createServer/.test(await wb.editorText()), 60_000);
    },
  },
  {
    name: 'remote-breakpoint',
    title: 'Breakpoint in the k8s-target editor of node-app\'s /app/server.js, Attach Debugger… from the tree node, a request stops there and the paused line shows in that editor',
    timeoutMs: 300_000,
    readme: { file: 'remote-breakpoint', alt: 'A breakpoint set in the pod\'s own /app/server.js (the k8s-target editor), Attach Debugger… from the tree, stopped there by a request' },
    run: async (ctx) => {
      const { wb } = ctx;
      const line = requestsLine(ctx);
      // The pod's own server.js, as the previous step opened it: node-app/app › app › server.js.
      await wb.openActivity(/^Explorer/);
      await wb.expand(wb.row('node-app/app', 1), 'the target filesystem folder node-app/app');
      await wb.expand(wb.row('app', 2), 'the target\'s /app');
      await wb.row('server.js', 3).click();
      await waitFor('the k8s-target server.js in the active editor', async () => squash(await wb.breadcrumbs()).includes('node-app/appappserver.js') && /createServer/.test(await wb.editorText()), 60_000);
      await toggleBreakpoint(wb, line);

      const pending = await attachAndStopAt(ctx, line);
      // Paused in the editor where the breakpoint was set (the k8s-target one), not in the local copy.
      const crumbs = squash(await wb.breadcrumbs());
      if (!crumbs.includes('node-app/appappserver.js')) throw new Error(`stopped in "${await wb.breadcrumbs()}", not the k8s-target server.js`);
      const current = wb.page.locator('.editor-group-container.active .monaco-editor .debug-top-stack-frame-line');
      if ((await current.count()) === 0) throw new Error('no paused-line decoration in the k8s-target editor');
      await wb.dismissUnrelatedToasts();
      await wb.clearHover();
      await wb.page.screenshot({ path: ctx.screenshotPath });
      await continueAndAnswer(ctx, pending);

      // Done with it: end the session and remove the breakpoint, so the next step starts clean.
      await releaseDebugger(wb);
      await wb.runCommand('Remove All Breakpoints');
      const glyph = wb.page.locator('.editor-group-container.active .monaco-editor [class*="codicon-debug-breakpoint"]');
      await waitFor('the breakpoint glyph to go', async () => (await glyph.count()) === 0, 15_000);
    },
  },
  {
    name: 'debugger-breakpoint',
    title: 'Attach Debugger… (Node.js) on node-app, breakpoint in the local copy of server.js hit by a request',
    timeoutMs: 300_000,
    readme: { file: 'debugger-breakpoint', alt: 'js-debug stopped at a breakpoint in server.js of the distroless node-app pod' },
    run: async (ctx) => {
      const { wb } = ctx;
      const line = requestsLine(ctx);
      // The app's source is the workspace's first folder (localRoot ↔ remoteRoot /app): open it there.
      await wb.openActivity(/^Explorer/);
      const sourceRoot = wb.row('node-app (source)', 1);
      await wb.expand(sourceRoot, 'the source folder');
      await wb.row('server.js', 2).click();
      await waitFor('the local server.js in the active editor', async () => squash(await wb.breadcrumbs()).includes('node-app(source)server.js') && /createServer/.test(await wb.editorText()), 60_000);
      await toggleBreakpoint(wb, line);

      const pending = await attachAndStopAt(ctx, line);
      if (!squash(await wb.breadcrumbs()).includes('node-app(source)server.js')) throw new Error(`stopped in ${await wb.breadcrumbs()}, not the local server.js`);
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath }).catch(() => undefined);
      await continueAndAnswer(ctx, pending);
    },
  },
  {
    name: 'port-forward',
    title: 'Port Forward… on node-app: 8080 to a free local port, the status bar item names it, a request through it answers, stopping it from the status bar closes the port',
    timeoutMs: 120_000,
    readme: { file: 'port-forward', alt: 'Port Forward… on node-app: the status bar item and its tooltip' },
    run: async (ctx) => {
      const { wb } = ctx;
      // The debugger's own forward ends with its session; then this one is the only one.
      await releaseDebugger(wb);
      await wb.openActivity(VIEW_CONTAINER);
      await wb.contextMenu(wb.row('node-app', 3), 'Port Forward…');
      const inputs = await wb.walkQuickInput('Port Forward', 3, undefined, 2);
      // The pod port proposed first is the declared 8080; the local port is left empty (a free one).
      if (inputs.length !== 2 || inputs[1]!.title !== 'Port Forward to demo/node-app:8080') throw new Error(`the Port Forward inputs were ${JSON.stringify(inputs)}`);
      ctx.log(`inputs: ${inputs.map((i) => `${i.title} — ${i.message || i.placeholder}`).join(' | ')}`);
      const notice = await waitFor('the "Forwarding …" notification', async () => (await wb.notifications()).find((n) => /^Forwarding 127\.0\.0\.1:\d+ → demo\/node-app:8080$/.test(n)), 60_000);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(notice)![1]);
      const item = wb.statusBarItem(new RegExp(`:${port} → node-app:8080`));
      await item.waitFor({ state: 'visible', timeout: 30_000 });
      const text = (await item.innerText()).trim();
      if (text !== `:${port} → node-app:8080`) throw new Error(`the status bar item says "${text}"`);
      const answer = await ctx.get(port, '/through-port-forward');
      if (!answer.includes('"app":"node-app"') || !answer.includes('/through-port-forward')) throw new Error(`127.0.0.1:${port} answered ${answer}`);
      ctx.log(`status bar "${text}"; GET 127.0.0.1:${port} → ${answer.trim()}`);
      // Its tooltip says what it is for; in the screenshot with the item.
      await item.hover();
      const tooltip = wb.page.locator('.workbench-hover, .monaco-hover:not(.hidden)', { hasText: `127.0.0.1:${port} → demo/node-app:8080` }).first();
      await tooltip.waitFor({ state: 'visible', timeout: 15_000 });
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath });

      // Stop it from the status bar: the item goes and the port is closed.
      await wb.clearHover();
      await item.click();
      await wb.pickInQuickInput(`127.0.0.1:${port}`, 'Kubernetes Port Forwards');
      await item.waitFor({ state: 'hidden', timeout: 30_000 });
      const after = await ctx.get(port, '/after-stop').then((body) => `answered ${body}`, (error: unknown) => (error instanceof Error ? error.message : String(error)));
      if (!/ECONNREFUSED/.test(after)) throw new Error(`127.0.0.1:${port} still open after Stop: ${after}`);
    },
  },
  {
    name: 'download-upload',
    title: 'Download… /app/server.js and Upload… a file into /tmp through the target filesystem in the Explorer; both checked against the pod',
    timeoutMs: 180_000,
    run: async (ctx) => {
      const { wb } = ctx;
      const debugContainer = await nodeAppDebugContainer(ctx);
      await wb.openActivity(/^Explorer/);
      await wb.expand(wb.row('node-app/app', 1), 'the target filesystem folder node-app/app');
      await wb.expand(wb.row('app', 2), 'the target\'s /app');

      // Download: the save dialog proposes $HOME/server.js; the file there must be the pod's, byte for byte.
      const local = join(ctx.home, 'server.js');
      if (existsSync(local)) throw new Error(`${local} exists before the download`);
      await wb.contextMenu(wb.row('server.js', 3), 'Download…');
      await answerFileDialog(wb, local, 'Download');
      const onPod = await fileOnPod(ctx, debugContainer, '/app/server.js');
      if (onPod === undefined || !onPod.includes('createServer')) throw new Error(`cannot read /app/server.js on the pod: ${onPod}`);
      await waitFor(`the download at ${local}, equal to the pod's /app/server.js`, () => existsSync(local) && readFileSync(local, 'utf8') === onPod, 60_000);
      ctx.log(`downloaded /app/server.js (${onPod.length} bytes) = the pod's`);

      // Upload: a new file into the target's /tmp (writes are on in this suite's settings).
      const name = `ui-upload-${process.pid}-${Date.now().toString(36)}.txt`;
      const content = `uploaded by the UI suite\nline 2 ${new Date().toISOString()}\n`;
      writeFileSync(join(ctx.home, name), content);
      // Collapse /app, so /tmp is in view.
      const appRow = wb.row('app', 2);
      await appRow.click();
      await waitFor('the target\'s /app to collapse', async () => (await appRow.getAttribute('aria-expanded')) !== 'true', 15_000);
      const tmp = wb.row('tmp', 2);
      await tmp.waitFor({ state: 'visible', timeout: 30_000 });
      await wb.contextMenu(tmp, 'Upload…');
      await answerFileDialog(wb, join(ctx.home, name), 'Upload');
      try {
        await waitFor(`/tmp/${name} on the pod with the uploaded content`, async () => (await fileOnPod(ctx, debugContainer, `/tmp/${name}`)) === content, 60_000, 500);
        ctx.log(`uploaded /tmp/${name} (${content.length} bytes) = the local file`);
        await wb.expand(tmp, 'the target\'s /tmp');
        await waitFor(`${name} listed under /tmp`, async () => {
          if ((await wb.row(name, 3).count()) > 0) return true;
          await wb.runCommand('Refresh Explorer');
          return false;
        }, 60_000, 2000);
        await wb.dismissUnrelatedToasts();
        await wb.page.screenshot({ path: ctx.screenshotPath });
      } finally {
        await execCollect(ctx.kubeConfig, 'demo', 'node-app', debugContainer, ['rm', '-f', `/proc/1/root/tmp/${name}`]).catch(() => undefined);
      }
    },
  },
  {
    name: 'debug-copy',
    title: 'Debug on the crashing crashloop pod: crash modal, copy picker defaults, ps in the copy sees sleep; Clean Up deletes the copy',
    timeoutMs: 300_000,
    readme: { file: 'debug-copy', alt: 'A debug copy of the crashing pod, its processes shared: ps shows the app\'s keep-alive sleep' },
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      const page = wb.page;
      const t0 = performance.now();
      const at = (line: string): void => ctx.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`);
      // The previous step's debug session is done with: ended, so a later stop cannot take the side bar away.
      await releaseDebugger(wb);
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('demo', 2), 'namespace demo');
      const pod = wb.row('crashloop', 3);
      // The inline Debug action shows on troubled pods only; the kubelet's backoff makes it CrashLoopBackOff.
      await waitFor('crashloop in CrashLoopBackOff in the tree', async () => /CrashLoopBackOff|Error/.test(await pod.locator('.label-description').innerText()), 120_000, 500);
      at('crashloop is troubled: Debug');
      await wb.clickInlineAction(pod, 'Debug');

      const crash = await waitFor('the modal about the crash', () => wb.dialog(), 60_000);
      at(`crash modal: "${crash.message.slice(0, 160)}" [${crash.buttons.join(', ')}]`);
      if (!/crashloop is crashing/.test(crash.message) || !/CrashLoopBackOff|exit code 1/.test(crash.message)) throw new Error(`the crash modal says "${crash.message}"`);
      if (!crash.buttons.includes('Continue')) throw new Error(`the crash modal has no Continue: [${crash.buttons.join(', ')}]`);
      await wb.clickDialogButton('Continue');

      const picker = await wb.walkQuickInput('Debug a Copy of Pod');
      picker.forEach((s, i) => at(`picker step ${i + 1}: ${s.placeholder || s.message} → ${s.focused || '(input)'}${s.checked.length > 0 ? ` [checked: ${s.checked.join('; ')}]` : ''}`));
      if (picker.length !== 4) throw new Error(`the copy picker had ${picker.length} steps, not 4: ${picker.map((s) => s.placeholder).join(' | ')}`);
      if (!/Keep app alive/.test(picker[0]!.focused)) throw new Error(`step 1 preselected "${picker[0]!.focused}", not "Keep app alive"`);
      if (!/Add a debug container: busybox/.test(picker[2]!.focused)) throw new Error(`step 3 preselected "${picker[2]!.focused}", not the default debug image`);

      // The privileged-profile question (if the default profile needs one) says "Create Copy"; nothing else may ask.
      const answered: string[] = [];
      const copyRow = wb.rowMatching(/^crashloop-debug-[a-z0-9]{5}$/, 3);
      const copyName = await waitFor('a terminal attached to the copy, at the busybox prompt', async () => {
        const dialog = await wb.dialog();
        if (dialog !== undefined) {
          if (!dialog.buttons.includes('Create Copy')) throw new Error(`unexpected dialog: "${dialog.message}" [${dialog.buttons.join(', ')}]`);
          answered.push(dialog.message.slice(0, 80));
          await wb.clickDialogButton('Create Copy');
          return undefined;
        }
        const text = await wb.activeTerminalText();
        const name = /crashloop-debug-[a-z0-9]{5}/.exec(text)?.[0];
        return name !== undefined && PROMPT.test(text) ? name : undefined;
      }, 180_000, 500);
      at(`copy ${copyName}; dialogs answered: ${answered.length === 0 ? 'none' : answered.join('; ')}`);

      // Processes are shared: the app container's keep-alive loop (sleep 3600) shows in the debug container's ps.
      at(`ps: ${await psInActiveTerminal(wb, /sleep/)}`);
      await wb.dismissUnrelatedToasts();
      await wb.clearHover();
      await page.screenshot({ path: ctx.screenshotPath });

      // Clean up through the UI: Clean Up Debug Pods… on the copy's row preselects it, then the confirmation.
      await wb.openActivity(VIEW_CONTAINER);
      const row = wb.row(copyName, 3);
      await row.waitFor({ state: 'visible', timeout: 60_000 });
      await wb.contextMenu(row, 'Clean Up Debug Pods…');
      const cleanup = await wb.walkQuickInput('Clean Up Debug Pods', 2);
      if (!cleanup[0]?.checked.some((label) => label.includes(copyName))) throw new Error(`Clean Up Debug Pods did not preselect ${copyName}: [${cleanup[0]?.checked.join('; ')}]`);
      at('clean-up picker accepted');
      const confirm = await waitFor('the clean-up confirmation', () => wb.dialog(), 30_000);
      if (!confirm.message.includes('Delete 1 debug copy') || !confirm.buttons.includes('Delete')) throw new Error(`the clean-up confirmation says "${confirm.message}" [${confirm.buttons.join(', ')}]`);
      await wb.clickDialogButton('Delete');
      await waitFor(`the notification that ${copyName} was deleted`, async () => (await wb.notifications()).some((n) => n.includes(`deleted 1 debug copy (${copyName})`)), 60_000);
      // The tree follows the pod watch. The loopback API server can deliver the kubelet's last MODIFIED after
      // the DELETED (re-entrant dispatch in test/cluster/api/store.ts), which leaves the row "Terminating";
      // then the cluster's Refresh (a relist) must drop it.
      const goneByWatch = await waitFor(`${copyName} gone from the tree`, async () => (await copyRow.count()) === 0, 15_000).catch(() => false);
      if (!goneByWatch) {
        at(`${copyName} still listed after the delete; Refresh on ${cluster}`);
        await wb.clickInlineAction(wb.row(cluster, 1), 'Refresh');
        await wb.expand(wb.row('demo', 2), 'namespace demo');
        await waitFor(`${copyName} gone from the tree after Refresh`, async () => (await copyRow.count()) === 0, 60_000);
      }
      // The copy's terminal lost its pod; it closes on a key, as it says.
      await waitFor('the copy\'s terminal to offer closing', async () => /Press any key to close this terminal/.test(await wb.activeTerminalText()), 30_000);
      await page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
      await page.keyboard.press('Enter');
      await waitFor('the copy\'s terminal to close', async () => !(await wb.activeTerminalText()).includes(copyName), 30_000);
    },
  },
  {
    name: 'check-my-access',
    title: 'Check My Access on namespace demo: the Markdown report shows every feature available (admin)',
    timeoutMs: 120_000,
    readme: { file: 'check-my-access', alt: 'Check My Access on namespace demo: which features the user can use' },
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.contextMenu(wb.row('demo', 2), 'Check My Access');
      const summary = await waitFor('the access summary notification', async () => (await wb.notifications()).find((n) => n.includes(`features available in demo (${cluster})`)), 60_000);
      ctx.log(`notification: ${summary}`);
      const total = Number(/^All (\d+) features available/.exec(summary)?.[1]);
      if (!(total > 0)) throw new Error(`the summary is "${summary}", not "All N features available …"`);
      await waitFor('the report preview as the active editor', async () => new RegExp(`^Preview access-${cluster}-demo-\\d+\\.md$`).test(await wb.activeEditorTitle()), 30_000);
      // The rendered report, read inside the preview's webview frame.
      const report = await waitFor('the rendered access report in the preview', async () => (await wb.webviewTexts()).find((t) => t.includes(`Access in context ${cluster}, namespace demo`) && t.includes('Every feature is available.')), 60_000);
      const lines = report.split('\n').map((l) => l.trim()).filter((l) => /^(yes|partly|no)\b/.test(l));
      ctx.log(`report: ${lines.length} features: ${lines.join(' / ')}`);
      if (lines.length !== total) throw new Error(`the report lists ${lines.length} features, the summary says ${total}:\n${report}`);
      const denied = lines.filter((l) => /^no\b/.test(l));
      if (denied.length > 0) throw new Error(`the admin is denied: ${denied.join('; ')}`);
      await wb.dismissUnrelatedToasts();
      await wb.clearHover();
      await wb.page.screenshot({ path: ctx.screenshotPath });
    },
  },
  {
    name: 'capture-when',
    title: 'Capture When… on a pod whose app exits after 60 s: restart → Collect Diagnostics; the tree shows the rule armed, still after reloading the window, and it fires on the restart',
    timeoutMs: 360_000,
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      const core = ctx.kubeConfig.makeApiClient(k8s.CoreV1Api);
      const name = 'capture-ui';
      await core.deleteNamespacedPod({ namespace: 'demo', name, gracePeriodSeconds: 0 }).catch(() => undefined);
      await waitFor(`no leftover ${name}`, async () => core.readNamespacedPod({ namespace: 'demo', name }).then(() => undefined, () => true), 60_000);
      await core.createNamespacedPod({ namespace: 'demo', body: {
        metadata: { name },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'echo up; sleep 60; exit 3'] }] },
      } });
      try {
        await waitFor(`${name} running`, async () => ((await core.readNamespacedPod({ namespace: 'demo', name })).status?.containerStatuses?.[0]?.state?.running ? true : undefined), 90_000);
        await wb.openActivity(VIEW_CONTAINER);
        await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
        await wb.expand(wb.row('demo', 2), 'namespace demo');
        const row = wb.row(name, 3);
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        await wb.contextMenu(row, 'Capture When…', wb.quickInputOpened('the Capture When condition quick pick'));
        await wb.pickInQuickInput('the container restarts', 'Capture When condition');
        await wb.pickInQuickInput('Collect Diagnostics', 'Capture When action');
        const armed = await waitFor('the "Armed" notification', async () => (await wb.notifications()).find((n) => n.startsWith(`Armed on demo/${name}`)), 30_000);
        if (!armed.includes('only while a VS Code window with this workspace is open')) throw new Error(`the notification does not say the rule needs the window: "${armed}"`);
        const badge = await waitFor('the armed badge on the pod', async () => {
          const text = await row.locator('.label-description').innerText();
          return text.includes('capture armed: the container restarts') ? text : undefined;
        }, 30_000, 500);
        ctx.log(`armed: "${badge}"`);
        // Rules live in the workspace's state: a reloaded window (a new extension host) re-arms them.
        await wb.page.reload();
        await wb.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
        await wb.openActivity(VIEW_CONTAINER);
        await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
        await wb.expand(wb.row('demo', 2), 'namespace demo');
        const reloaded = wb.row(name, 3);
        await reloaded.waitFor({ state: 'visible', timeout: 60_000 });
        const after = await waitFor('the armed badge after the reload', async () => {
          const text = await reloaded.locator('.label-description').innerText();
          return text.includes('capture armed: the container restarts') ? text : undefined;
        }, 60_000, 500);
        ctx.log(`after the reload: "${after}"`);
        if ((await core.readNamespacedPod({ namespace: 'demo', name })).status?.containerStatuses?.[0]?.restartCount !== 0) throw new Error(`${name} restarted before the reload was checked: make its app run longer`);
        const fired = await waitFor('the capture to fire on the restart', async () => (await wb.notifications()).find((n) => n.startsWith(`Capture fired on demo/${name}`)), 150_000, 1000);
        if (!/app restarted \(restart count 0 → 1; last exit 3/.test(fired)) throw new Error(`the notification says "${fired}"`);
        ctx.log(`fired: ${fired}`);
        await waitFor('the badge to go', async () => !(await reloaded.locator('.label-description').innerText()).includes('capture armed'), 30_000, 500);
        await wb.page.screenshot({ path: ctx.screenshotPath });
        await wb.dismissUnrelatedToasts();
      } finally {
        await core.deleteNamespacedPod({ namespace: 'demo', name, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
  },
  {
    name: 'stop-debug-container',
    title: 'Stop Debug Container on node-app\'s debug container: confirmation, then the tree shows it stopped',
    timeoutMs: 180_000,
    readme: { file: 'stop-debug-container', alt: 'Stop Debug Container: the tree shows the debug container stopped' },
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      const name = await nodeAppDebugContainer(ctx);
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('demo', 2), 'namespace demo');
      await wb.expand(wb.row('node-app', 3), 'pod node-app');
      const row = wb.row(name, 4);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      const before = await row.locator('.label-description').innerText();
      if (!/running/.test(before)) throw new Error(`${name} shows "${before}", not running`);
      await wb.contextMenu(row, 'Stop Debug Container');
      const confirm = await waitFor('the stop confirmation', () => wb.dialog(), 30_000);
      if (!confirm.message.includes(`Stop debug container ${name} in demo/node-app?`) || !confirm.buttons.includes('Stop')) throw new Error(`the confirmation says "${confirm.message}" [${confirm.buttons.join(', ')}]`);
      await wb.clickDialogButton('Stop');
      const after = await waitFor(`${name} shown as stopped in the tree`, async () => {
        const text = await row.locator('.label-description').innerText();
        return /stopped \(SIG(TERM|KILL)\)|terminated/.test(text) ? text : undefined;
      }, 120_000, 500);
      // The command's progress ends too (it waits for the kubelet to report the container terminated).
      await waitFor(`the "Stopping ${name}" progress to end`, async () => !(await wb.notifications()).some((n) => n.startsWith(`Stopping ${name}`)), 60_000, 500);
      const pod = await ctx.kubeConfig.makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace: 'demo', name: 'node-app' });
      const state = pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state;
      if (state?.terminated === undefined) throw new Error(`the API server reports ${name} as ${JSON.stringify(state)}, not terminated`);
      ctx.log(`${name}: "${before}" → "${after}" (exit code ${state.terminated.exitCode})`);
      await wb.dismissUnrelatedToasts();
      // The narrow tree cuts the description: its tooltip says the state in full, for the screenshot.
      await wb.clearHover();
      await row.hover();
      await wb.page.locator('.workbench-hover, .monaco-hover:not(.hidden)', { hasText: /State: (stopped|terminated)/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await wb.page.screenshot({ path: ctx.screenshotPath });
    },
  },
  {
    name: 'no-target-attach',
    title: 'Attach Debug Container… on node-app with "No target container": the banner says it sees the network, not the processes; ps shows no node',
    timeoutMs: 240_000,
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('demo', 2), 'namespace demo');
      await wb.contextMenu(wb.row('node-app', 3), 'Attach Debug Container…');
      const seen = await wb.walkQuickInput('Attach Debug Container', 12, ({ placeholder }) => (/^Target container/.test(placeholder) ? 'No target container' : undefined));
      ctx.log(`picker: ${seen.map((s) => `${s.placeholder || s.message} → ${s.focused.split(',')[0] || '(input)'}`).join(' | ')}`);
      if (!seen.some((s) => /^Target container/.test(s.placeholder) && s.focused.includes('No target container'))) throw new Error(`"No target container" was not chosen: ${JSON.stringify(seen)}`);
      const answered: string[] = [];
      const banner = "no target: sees the pod's network, IPC and hostname, not its processes or files";
      await waitFor('the banner and the busybox prompt', async () => {
        await answerDialogs(ctx, answered);
        const text = await wb.activeTerminalText();
        return squash(text).includes(squash(banner)) && PROMPT.test(text);
      }, 180_000, 500);
      ctx.log(`banner: ${banner}${answered.length > 0 ? `; dialogs: ${answered.join('; ')}` : ''}`);
      // Its own processes only: ps lists sh and ps, not node-app's node.
      const ps = await psInActiveTerminal(wb, /\bps\b/);
      const text = await wb.activeTerminalText();
      if (/node \/app\/server\.js|\bnode\b/.test(text.slice(text.lastIndexOf('# ps')))) throw new Error(`ps in a no-target container shows the app: ${ps}`);
      ctx.log(`ps: ${ps}`);
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath });
    },
  },
  localSourceBreakpointStep({ name: 'python-breakpoint', language: 'Python', app: 'python-app', file: 'app.py', lineText: 'self.send_response(200)', fileText: /send_response/, image: 'python:3.12', port: 8000, variable: 'body', route: 'speaks DAP to debugpy directly', answer: /"app": "python-app"/ }),
  {
    name: 'python-remote-breakpoint',
    title: 'Python without its extension: a breakpoint in the pod\'s own /app/app.py (k8s-target editor), Attach Debugger… from the tree, stopped there, Continue answers',
    timeoutMs: 420_000,
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      // A Python process takes debugpy once: a fresh python-app.
      await recreateDemoPod(ctx, 'python-app');
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('demo', 2), 'namespace demo');
      await collapseExpanded(wb, 3, 'python-app');
      await wb.expand(wb.row('python-app', 3), 'pod python-app');
      await wb.contextMenu(wb.row('app', 4), 'Open Target Filesystem');
      // The fresh pod has no debug container to read files with: the question to add one comes first.
      const answered: string[] = [];
      await waitFor('the Open Target Filesystem choices', async () => {
        await answerDialogs(ctx, answered);
        return wb.quickInputVisible();
      }, 120_000, 500);
      await wb.pickInQuickInput('Add to Workspace', 'Open Target Filesystem');
      await openTargetFile(ctx, answered);
      const line = lineOf(ctx.sourcePath('python-app', 'app.py'), 'self.send_response(200)');
      await toggleBreakpoint(wb, line);
      await wb.openActivity(VIEW_CONTAINER);
      await wb.contextMenu(wb.row('python-app', 3), 'Attach Debugger…', wb.quickInputOpened('the Attach Debugger runtime quick pick'));
      await wb.pickInQuickInput('Python', 'Attach Debugger runtime');
      const { held } = await stopAtBreakpoint(ctx, { pod: 'python-app', image: 'python:3.12', port: 8000, file: 'app.py', line, variable: 'body', route: 'speaks DAP to debugpy directly' });
      if (!squash(await wb.breadcrumbs()).includes('python-app/appappapp.py')) throw new Error(`stopped in "${await wb.breadcrumbs()}", not the k8s-target app.py`);
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath });
      await continueUntilAnswered(ctx, held, /"app": "python-app"/);
    },
  },
  localSourceBreakpointStep({ name: 'go-breakpoint', language: 'Go', app: 'go-app', file: 'main.go', lineText: 'w.Header().Set(', fileText: /func\shandle/, image: 'ghcr.io/go-delve/delve:v1.20', port: 8080, variable: 'n', route: 'speaks DAP to dlv directly', answer: /"app":"go-app"/, note: ' (no remoteRoot)' }),
  // The loopback cluster refuses host pods (it has no host to share): Debug Node runs on the real node only.
  ...(testClusterKind() === 'loopback' ? [] : [debugNodeStep()]),
];

/**
 * Debug Node… on the cluster's node (Nodes folder, inline action): Enter through image, profile (general) and
 * namespace, confirm the host access, ps in the terminal shows the kubelet; Clean Up Debug Pods… deletes the pod.
 * Needs `ephemeralDebug.governance.allowNodeDebug` in the Machine settings (test/ui/run.ts).
 */
export function debugNodeStep(): Step {
  return {
    name: 'debug-node',
    title: 'Debug Node… on the node: picker defaults, host access confirmed, ps shows the kubelet; Clean Up deletes the node debug pod',
    timeoutMs: 300_000,
    run: async (ctx) => {
      const { wb, cluster } = ctx;
      await releaseDebugger(wb);
      const core = ctx.kubeConfig.makeApiClient(k8s.CoreV1Api);
      const nodeName = (await core.listNode()).items[0]?.metadata?.name;
      if (nodeName === undefined) throw new Error('the cluster lists no node');
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(cluster, 1), `cluster ${cluster}`);
      await wb.expand(wb.row('Nodes', 2), 'the Nodes folder');
      const node = wb.row(nodeName, 3);
      await node.waitFor({ state: 'visible', timeout: 60_000 });
      const description = await node.locator('.label-description').innerText();
      if (!/^Ready · /.test(description)) throw new Error(`node ${nodeName} shows "${description}", not Ready`);
      await wb.clickInlineAction(node, 'Debug Node…');
      const picker = await wb.walkQuickInput('Debug Node', 4);
      ctx.log(`picker: ${picker.map((s) => `${s.title} → ${s.focused || '(input)'}`).join(' | ')}`);
      if (picker.length !== 3 || !/^general/.test(picker[1]?.focused ?? '')) throw new Error(`the Debug Node picker: ${picker.map((s) => `${s.title}: ${s.focused}`).join(' | ')}`);
      const confirm = await waitFor('the host-access confirmation', () => wb.dialog(), 60_000);
      if (!/Debug node .* with profile "general": hostPID, hostNetwork, hostIPC, hostPath \//.test(confirm.message) || !confirm.buttons.includes('Debug Node')) {
        throw new Error(`the confirmation says "${confirm.message}" [${confirm.buttons.join(', ')}]`);
      }
      await wb.clickDialogButton('Debug Node');
      const podName = await waitFor('a terminal attached to the node debug pod, at the busybox prompt', async () => {
        const text = await wb.activeTerminalText();
        const name = /node-debugger-[a-z0-9.-]+-[a-z0-9]{5}/.exec(text)?.[0];
        return name !== undefined && PROMPT.test(text) ? name : undefined;
      }, 180_000, 500);
      ctx.log(`node debug pod ${podName}; ps: ${await psInActiveTerminal(wb, /kubelet/, 'ps -o pid,comm | grep [k]ubelet')}`);
      await wb.dismissUnrelatedToasts();
      await wb.page.screenshot({ path: ctx.screenshotPath });

      const namespace = (await core.readNamespacedPod({ namespace: 'default', name: podName }).catch(() => undefined))?.metadata?.namespace ?? 'default';
      await wb.openActivity(VIEW_CONTAINER);
      await wb.expand(wb.row(namespace, 2), `namespace ${namespace}`);
      const row = wb.row(podName, 3);
      await row.waitFor({ state: 'visible', timeout: 60_000 });
      // The namespace was just expanded: its list and watch can re-render the rows under an opening context menu,
      // which then runs for the row now under the pointer (the namespace). Such a picker preselects nothing, and
      // Enter on it deletes nothing: ask again, at most three times.
      let cleanup: QuickInputStep[] = [];
      for (let attempt = 1; ; attempt++) {
        await wb.contextMenu(row, 'Clean Up Debug Pods…');
        cleanup = await wb.walkQuickInput('Clean Up Debug Pods', 2);
        if (cleanup[0]?.checked.some((label) => label.includes(podName))) break;
        const seen = `"${cleanup[0]?.title ?? ''}" preselecting [${cleanup[0]?.checked.join('; ') ?? ''}]`;
        if (attempt === 3) throw new Error(`Clean Up Debug Pods did not preselect ${podName}: ${seen}`);
        ctx.log(`attempt ${attempt}: ${seen}; again`);
      }
      const sure = await waitFor('the clean-up confirmation', () => wb.dialog(), 30_000);
      if (!/^Delete 1 node debug pod\?/.test(sure.message) || !sure.buttons.includes('Delete')) throw new Error(`the clean-up confirmation says "${sure.message}" [${sure.buttons.join(', ')}]`);
      await wb.clickDialogButton('Delete');
      await waitFor(`the notification that ${podName} was deleted`, async () => (await wb.notifications()).some((n) => n.includes(podName)), 60_000);
      await waitFor(`${podName} to be gone from the API`, async () => core.readNamespacedPod({ namespace, name: podName }).then(() => false, (e: unknown) => (e as { code?: number }).code === 404), 90_000, 1000);
    },
  };
}

/** After the last step (or a failure): continue and disconnect a paused session, so nothing waits on it. */
export async function releaseDebugger(wb: Workbench): Promise<void> {
  const toolbar = wb.page.locator('.debug-toolbar');
  if (!(await toolbar.isVisible().catch(() => false))) return;
  await wb.page.keyboard.press('F5').catch(() => undefined);
  await wb.page.keyboard.press('Shift+F5').catch(() => undefined);
  await waitFor('the debug toolbar to go away', async () => !(await toolbar.isVisible()), 30_000).catch(() => undefined);
}

export const stepFileName = (index: number, step: Step): string => `${String(index + 1).padStart(2, '0')}-${step.name}`;
export const joinResults = (dir: string, index: number, step: Step, ext: string): string => join(dir, `${stepFileName(index, step)}.${ext}`);
