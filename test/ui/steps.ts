/**
 * The UI suite's steps, in order, each driving the workbench as a person would. Later steps build on earlier
 * ones (the debug container of step 2 serves the filesystem of step 3), so the runner stops at the first
 * failure and reports the rest as not run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { squash, waitFor, type Workbench } from './workbench';

export interface StepContext {
  readonly wb: Workbench;
  /** The test cluster's admin context, the Clusters view's root: loopback-admin, realnode-admin, … */
  readonly cluster: string;
  /** The demo app's source, as the workspace's first folder holds it (localRoot of the debugger). */
  readonly serverJsPath: string;
  /** GET on the demo node-app's port 8080 through a port-forward the runner holds. */
  readonly request: (path: string) => Promise<string>;
  readonly log: (line: string) => void;
  /** This step's screenshot file, for a step whose best moment is not its end. */
  readonly screenshotPath: string;
}

export interface Step {
  /** Short name, used in the screenshot file name test-results/ui/NN-name.png. */
  readonly name: string;
  readonly title: string;
  readonly timeoutMs: number;
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

export const steps: Step[] = [
  {
    name: 'tree',
    title: 'Clusters view: admin context → demo → node-app',
    timeoutMs: 120_000,
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
    run: async (ctx) => {
      const { wb, page } = { wb: ctx.wb, page: ctx.wb.page };
      await wb.contextMenu(wb.row('node-app', 3), 'Attach Debug Container…');
      const stepsSeen = await wb.enterThroughQuickInput('Attach Debug Container');
      ctx.log(`picker steps: ${stepsSeen.join(' | ')}`);
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
    name: 'target-filesystem',
    title: 'Open Target Filesystem on the app container, /app/server.js in an editor',
    timeoutMs: 180_000,
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
    name: 'debugger-breakpoint',
    title: 'Attach Debugger… (Node.js) on node-app, breakpoint in server.js hit by a request',
    timeoutMs: 300_000,
    run: async (ctx) => {
      const { wb } = ctx;
      const page = wb.page;
      const source = readFileSync(ctx.serverJsPath, 'utf8').split('\n');
      const line = source.findIndex((l) => l.includes('requests++')) + 1;
      if (line <= 0) throw new Error('server.js has no requests++ line');

      // The app's source is the workspace's first folder (localRoot ↔ remoteRoot /app): open it there.
      await wb.openActivity(/^Explorer/);
      const sourceRoot = wb.row('node-app (source)', 1);
      await wb.expand(sourceRoot, 'the source folder');
      await wb.row('server.js', 2).click();
      await waitFor('the local server.js in the active editor', async () => squash(await wb.breadcrumbs()).includes('node-app(source)server.js') && /createServer/.test(await wb.editorText()), 60_000);
      // Go to the line and toggle a breakpoint (F9), as from the keyboard.
      await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+G');
      await waitFor('the Go to Line input', () => wb.quickInputVisible(), 15_000);
      await page.keyboard.type(String(line));
      await page.keyboard.press('Enter');
      await waitFor('the Go to Line input to close', async () => !(await wb.quickInputVisible()), 15_000);
      await page.keyboard.press('F9');
      const glyph = page.locator('.editor-group-container.active .monaco-editor [class*="codicon-debug-breakpoint"]');
      await waitFor('the breakpoint glyph in the editor margin', async () => (await glyph.count()) > 0, 15_000);

      await wb.openActivity(VIEW_CONTAINER);
      await wb.contextMenu(wb.row('node-app', 3), 'Attach Debugger…');
      await wb.pickInQuickInput('Node.js', 'Attach Debugger runtime');
      const answered: string[] = [];
      const toolbar = page.locator('.debug-toolbar');
      await waitFor('the debug toolbar', async () => {
        await answerDialogs(ctx, answered);
        return toolbar.isVisible();
      }, 180_000, 500);
      ctx.log(`debug toolbar up${answered.length > 0 ? `; dialogs: ${answered.join('; ')}` : ''}`);

      // Requests through the runner's port-forward until one stops at the breakpoint (the first ones may
      // arrive before js-debug has bound it); a request that stops stays pending until Continue.
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
      // What the user sees: "Paused on breakpoint" in Call Stack, the top frame on server.js at the line, and
      // the editor (the local source, mapped from /app) with the cursor on that line.
      const pausedLabel = page.locator('.part.sidebar').getByText(/paused on breakpoint/i).first();
      await pausedLabel.waitFor({ state: 'visible', timeout: 30_000 });
      const frame = (await page.locator('.part.sidebar .monaco-list-row', { hasText: 'server.js' }).first().innerText()).replace(/\s+/g, ' ');
      if (!frame.includes(`${line}:`)) throw new Error(`the top stack frame is "${frame}", not server.js:${line}`);
      const cursor = await page.locator('#status\\.editor\\.selection').innerText();
      if (!cursor.includes(`Ln ${line},`)) throw new Error(`the editor's cursor is at "${cursor}", not line ${line}`);
      if (!squash(await wb.breadcrumbs()).includes('node-app(source)server.js')) throw new Error(`stopped in ${await wb.breadcrumbs()}, not the local server.js`);
      ctx.log(`paused on breakpoint: frame "${frame}", ${cursor}`);
      await wb.dismissUnrelatedToasts();
      await page.screenshot({ path: ctx.screenshotPath }).catch(() => undefined);

      // Continue (F5): the held request completes.
      await page.keyboard.press('F5');
      const answers = await Promise.race([Promise.all(pending), new Promise<undefined>((resolve) => setTimeout(resolve, 30_000, undefined))]);
      const answer = answers?.find((a) => a.includes('"app":"node-app"'));
      if (answer === undefined) throw new Error(`no answer from node-app after Continue: ${JSON.stringify(answers)}`);
      ctx.log(`after Continue: ${answer.trim()}`);
    },
  },
  {
    name: 'debug-copy',
    title: 'Debug on the crashing crashloop pod: crash modal, copy picker defaults, ps in the copy sees sleep; Clean Up deletes the copy',
    timeoutMs: 300_000,
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
      await page.locator('.part.panel .terminal-wrapper.active .xterm').first().click();
      await page.keyboard.type('ps');
      await page.keyboard.press('Enter');
      const ps = await waitFor('ps output with the keep-alive sleep and a new prompt', async () => {
        const text = await wb.activeTerminalText();
        const after = text.slice(text.lastIndexOf('# ps'));
        return /sleep/.test(after) && PROMPT.test(after.slice(4)) ? after : undefined;
      }, 30_000);
      at(`ps: ${ps.split('\n').filter((l) => /sleep|PID/.test(l)).map((l) => l.trim()).join(' / ')}`);
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
];

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
