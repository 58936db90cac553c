/**
 * What the UI steps do to the VS Code workbench, as a person would: activity bar, tree rows, context menus,
 * the quick input, modal dialogs, the terminal, the editor. Every wait is on a DOM condition, polled, with a
 * generous timeout; nothing sleeps a fixed time in place of a condition.
 */
import type { Locator, Page } from 'playwright-core';

/** The little of the DOM the page functions use (this project is type-checked without lib.dom). */
interface DomElement {
  readonly innerText: string;
  readonly textContent: string | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

/** Polls `probe` until it returns something other than undefined/false; throws with `what` and the last state. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${lastError !== undefined ? ` (last error: ${lastError instanceof Error ? lastError.message.split('\n')[0] : String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const exact = (text: string): RegExp => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** One step of a quick input as it was accepted. */
export interface QuickInputStep {
  readonly title: string;
  readonly placeholder: string;
  readonly message: string;
  /** aria-label of the focused item ('' for an input box). */
  readonly focused: string;
  /** aria-labels of the checked items of a multi-select step. */
  readonly checked: string[];
}

export class Workbench {
  constructor(readonly page: Page) {}

  /** Clicks an activity bar entry (Explorer, Run and Debug, our view container) unless it is already open. */
  async openActivity(name: string | RegExp): Promise<void> {
    const tab = this.page.locator('.part.activitybar').getByRole('tab', { name }).first();
    await tab.waitFor({ state: 'visible', timeout: 60_000 });
    // Right after a window reload the workbench may still restore the last side bar: a click then can toggle it
    // closed again. Click, and click again if it is still not selected a few seconds later.
    let lastClick = 0;
    await waitFor(`the ${String(name)} side bar`, async () => {
      if ((await tab.getAttribute('aria-selected')) === 'true') return true;
      if (Date.now() - lastClick > 4000) {
        lastClick = Date.now();
        await tab.click();
      }
      return undefined;
    }, 30_000, 500);
  }

  /** A row of the side bar's trees (custom views and the Explorer), by its exact label and tree depth. */
  row(label: string, level?: number, scope = '.part.sidebar'): Locator {
    const selector = `${scope} .monaco-list-row${level !== undefined ? `[aria-level="${level}"]` : ''}`;
    return this.page.locator(selector, { has: this.page.locator('.label-name', { hasText: exact(label) }) }).first();
  }

  /** Expands a tree row (click, or the Right key if the click only selected it); waits for aria-expanded. */
  async expand(row: Locator, what: string): Promise<void> {
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await row.getAttribute('aria-expanded')) !== 'true') {
      await row.click();
      await waitFor(`${what} to expand`, async () => {
        if ((await row.getAttribute('aria-expanded')) === 'true') return true;
        await row.press('ArrowRight');
        return false;
      }, 30_000, 1000);
    }
  }

  /** Right-clicks `row` and chooses `item` from its context menu. */
  /**
   * Runs a context menu entry. With `opened`, the entry's visible effect (its quick pick, say): a tree that re-renders
   * under the open menu (a watch event) closes it without running the entry, so the menu is opened again, at most
   * three times, until the effect shows.
   */
  async contextMenu(row: Locator, item: string | RegExp, opened?: { what: string; visible: () => Promise<boolean> }): Promise<void> {
    if (opened === undefined) return this.runContextMenuEntry(row, item);
    for (let attempt = 1; ; attempt++) {
      await this.runContextMenuEntry(row, item);
      const shown = await waitFor(opened.what, opened.visible, 10_000).then(() => true, () => false);
      if (shown) return;
      if (attempt === 3) throw new Error(`"${String(item)}" from the context menu did not open ${opened.what} (3 attempts, 10 s each)`);
    }
  }

  /** The Attach Debugger… runtime quick pick (or any quick input) as the effect of a context menu entry. */
  quickInputOpened(what: string): { what: string; visible: () => Promise<boolean> } {
    return { what, visible: () => this.quickInputVisible() };
  }

  private async runContextMenuEntry(row: Locator, item: string | RegExp): Promise<void> {
    await row.click({ button: 'right' });
    const entry = this.page.getByRole('menuitem', { name: item }).first();
    await entry.waitFor({ state: 'visible', timeout: 15_000 });
    await entry.hover();
    await entry.click();
    // The menu can swallow a click that comes right after it opened: then the keyboard (focus, Enter).
    const closed = await entry.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false);
    if (closed) return;
    await waitFor(`the context menu to run "${String(item)}"`, async () => {
      if (!(await entry.isVisible())) return true;
      await entry.focus({ timeout: 1000 });
      if (await entry.isVisible()) await this.page.keyboard.press('Enter');
      return false;
    }, 15_000, 1000);
  }

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  async quickInputVisible(): Promise<boolean> {
    return this.quickInput().isVisible();
  }

  /** What identifies the quick input's current step: title, prompt/placeholder and the focused item. */
  async quickInputState(): Promise<{ visible: boolean; signature: string; ready: boolean; title: string }> {
    const widget = this.quickInput();
    if (!(await widget.isVisible())) return { visible: false, signature: '', ready: false, title: '' };
    const title = (await widget.locator('.quick-input-title').innerText().catch(() => '')).trim();
    const placeholder = (await widget.locator('input.input').getAttribute('placeholder').catch(() => '')) ?? '';
    const message = (await widget.locator('.quick-input-message').innerText().catch(() => '')).trim();
    const list = widget.locator('.quick-input-list');
    const listShown = await list.isVisible().catch(() => false);
    // A short timeout: a multi-select step has no focused row, and the default would wait 30 s for one.
    const focused = listShown ? (await list.locator('.monaco-list-row.focused').first().getAttribute('aria-label', { timeout: 1000 }).catch(() => '')) ?? '' : '';
    const busy = await widget.locator('.quick-input-progress.active, .monaco-progress-container.active').first().isVisible().catch(() => false);
    // A multi-select step (its "N Selected" count shows) focuses no item: its rows showing is enough.
    const multiSelectShown = listShown && focused === '' && (await widget.locator('.quick-input-count').isVisible().catch(() => false)) && (await list.locator('.monaco-list-row').count()) > 0;
    // A pick step is ready once its (asynchronously loaded) items show with one focused; an input step at once.
    const ready = !busy && (listShown ? focused !== '' || multiSelectShown : true);
    return { visible: true, signature: `${title}|${placeholder}|${message}|${focused}`, ready, title };
  }

  /**
   * Presses Enter through a multi-step quick input, one step at a time; returns what each step showed when
   * Enter was pressed (e.g. the preselection).
   * `choose` may name an item to pick at a step (by its placeholder): it is typed to filter the list and
   * accepted once it is the focused item; other steps take their default. `atLeast`: the number of steps
   * the caller knows there are (separate input boxes show no "(k/N)").
   */
  async walkQuickInput(what: string, maxSteps = 12, choose?: (step: { title: string; placeholder: string }) => string | undefined, atLeast = 0): Promise<QuickInputStep[]> {
    const seen: QuickInputStep[] = [];
    await waitFor(`the ${what} quick input`, () => this.quickInputVisible(), 60_000);
    for (let i = 0; i < maxSteps; i++) {
      // Not done while fewer than `atLeast` steps were seen, or after step k of a title "(k/N)" with k < N: the
      // input can hide for a moment between steps (reading the pod, or one input box closing before the next opens).
      const stepOf = /\((\d+)\/(\d+)\)$/.exec(seen.at(-1)?.title ?? '');
      const more = seen.length < atLeast || (stepOf !== null && Number(stepOf[1]) < Number(stepOf[2]));
      let state = await waitFor(`${what}: a ready step`, async () => {
        const s = await this.quickInputState();
        return (!s.visible && !more) || s.ready ? s : undefined;
      }, 60_000);
      if (!state.visible) return seen;
      const wanted = choose?.({ title: state.title, placeholder: state.signature.split('|')[1] ?? '' });
      if (wanted !== undefined) {
        await this.page.keyboard.type(wanted);
        state = await waitFor(`${what}: "${wanted}" focused at "${state.title}"`, async () => {
          const s = await this.quickInputState();
          const focusedLabel = s.signature.split('|')[3] ?? '';
          return s.ready && focusedLabel.toLowerCase().includes(wanted.toLowerCase()) ? s : undefined;
        }, 30_000);
      }
      const [, placeholder = '', message = '', focused = ''] = state.signature.split('|');
      const checked = await this.quickInput().locator('.quick-input-list .monaco-list-row[aria-checked="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? '')).catch(() => []);
      seen.push({ title: state.title, placeholder, message, focused, checked });
      await this.page.keyboard.press('Enter');
      await waitFor(`${what}: the next step after "${state.title}"`, async () => {
        const s = await this.quickInputState();
        return !s.visible || s.signature !== state.signature;
      }, 60_000);
    }
    throw new Error(`${what}: still open after ${maxSteps} steps: ${seen.map((s) => s.title).join('; ')}`);
  }

  /** Types into the quick input and accepts the first matching item. */
  async pickInQuickInput(text: string, what: string): Promise<void> {
    await waitFor(`the ${what} quick pick`, () => this.quickInputVisible(), 60_000);
    await this.page.keyboard.type(text);
    await waitFor(`"${text}" focused in the ${what} quick pick`, async () => {
      const label = await this.quickInput().locator('.quick-input-list .monaco-list-row.focused').first().getAttribute('aria-label').catch(() => null);
      return label !== null && label.toLowerCase().includes(text.toLowerCase());
    }, 30_000);
    await this.page.keyboard.press('Enter');
    await waitFor(`the ${what} quick pick to close`, async () => !(await this.quickInputVisible()), 30_000);
  }

  /** Runs a command from the Command Palette (F1) by its title, as a person types it. */
  async runCommand(title: string): Promise<void> {
    await this.clearHover();
    await this.page.keyboard.press('F1');
    await waitFor('the Command Palette', () => this.quickInputVisible(), 15_000);
    await this.page.keyboard.type(title);
    // The palette may rank another command first ("similar commands"): pick the one whose label starts with the title.
    const row = this.quickInput().locator(`.quick-input-list .monaco-list-row[aria-label^="${title.replace(/["\\]/g, '\\$&')}"]`).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    if (/\bfocused\b/.test((await row.getAttribute('class')) ?? '')) await this.page.keyboard.press('Enter');
    else await row.click();
    // The palette (its input starts with ">") closes, or a command's own quick input replaces it.
    const input = this.quickInput().locator('input.input').first();
    await waitFor(`the Command Palette to run "${title}"`, async () => !(await this.quickInputVisible()) || !(await input.inputValue({ timeout: 1000 })).startsWith('>'), 30_000);
  }

  /** The status bar entry whose text matches `text`. */
  statusBarItem(text: RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  }

  /** The modal dialog (custom dialog style), if one is open: its message and buttons. */
  async dialog(): Promise<{ message: string; buttons: string[] } | undefined> {
    const box = this.page.locator('.monaco-dialog-box');
    if (!(await box.isVisible().catch(() => false))) return undefined;
    const message = (await box.locator('.dialog-message').innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
    const buttons = (await box.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((b) => b.trim());
    return { message, buttons };
  }

  async clickDialogButton(label: string): Promise<void> {
    const button = this.page.locator('.monaco-dialog-box .dialog-buttons .monaco-button', { hasText: exact(label) }).first();
    await button.click();
    await button.waitFor({ state: 'hidden', timeout: 15_000 });
  }

  /** The rendered terminal text (DOM renderer: .xterm-rows), all terminals. */
  async terminalText(): Promise<string> {
    return this.page.evaluate(() => {
      const document = (globalThis as unknown as { document: { querySelectorAll(selector: string): ArrayLike<DomElement> } }).document;
      return Array.from(document.querySelectorAll('.xterm-rows')).map((rows) => rows.innerText).join('\n');
    });
  }

  /** A tree row whose label matches `label` (e.g. a generated pod name), at `level`. */
  rowMatching(label: RegExp, level?: number, scope = '.part.sidebar'): Locator {
    const selector = `${scope} .monaco-list-row${level !== undefined ? `[aria-level="${level}"]` : ''}`;
    return this.page.locator(selector, { has: this.page.locator('.label-name', { hasText: label }) }).first();
  }

  /** Clicks an inline action of a tree row (shown on hover) by its title, e.g. "Debug". */
  async clickInlineAction(row: Locator, title: string): Promise<void> {
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    const action = row.locator(`.actions .action-label[aria-label="${title}"]`).first();
    await waitFor(`the inline "${title}" action on the row`, async () => {
      await row.hover();
      return action.isVisible();
    }, 30_000, 500);
    await action.click();
  }

  /** The rendered text of the active terminal only (DOM renderer). */
  async activeTerminalText(): Promise<string> {
    // Short: no terminal may be active yet (the panel shows another view), and callers poll.
    return this.page.locator('.part.panel .terminal-wrapper.active .xterm-rows').first().innerText({ timeout: 1000 }).catch(() => '');
  }

  /** The title of the active editor tab (e.g. "Preview report.md"). */
  async activeEditorTitle(): Promise<string> {
    return (await this.page.locator('.editor-group-container.active .tab.active .label-name').first().innerText({ timeout: 1000 }).catch(() => '')).trim();
  }

  /**
   * The body text of every webview's content frame (Markdown preview, …): webviews are nested iframes, which
   * Playwright reaches as frames. A frame that does not answer in time (still loading) is skipped.
   */
  async webviewTexts(): Promise<string[]> {
    const texts: string[] = [];
    for (const frame of this.page.frames()) {
      if (frame === this.page.mainFrame()) continue;
      const text = await Promise.race([
        frame.locator('body').innerText({ timeout: 2000 }).catch(() => undefined),
        new Promise<undefined>((resolve) => setTimeout(resolve, 2500, undefined)),
      ]);
      if (text !== undefined && text.trim() !== '') texts.push(text);
    }
    return texts;
  }

  /** Moves the mouse onto the status bar (main document, no hover target) and waits for hover tooltips to go. */
  async clearHover(): Promise<void> {
    const viewport = this.page.viewportSize() ?? { width: 1280, height: 800 };
    await this.page.mouse.move(viewport.width / 2, viewport.height - 6);
    const hover = this.page.locator('.workbench-hover, .monaco-hover:not(.hidden)').first();
    await waitFor('hover tooltips to close', async () => !(await hover.isVisible()), 5000).catch(() => undefined);
  }

  /** The visible lines of the active editor. */
  async editorText(): Promise<string> {
    return this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
  }

  /** The breadcrumbs over the active editor (folder › path › file). */
  async breadcrumbs(): Promise<string> {
    return this.page.locator('.editor-group-container.active .breadcrumbs-control').first().innerText().catch(() => '');
  }

  /** Closes toasts unrelated to the extension (built-in git's activation failure in this code-server install). */
  async dismissUnrelatedToasts(): Promise<void> {
    const toasts = this.page.locator('.notification-toast', { hasText: /vscode\.git/ });
    for (let i = await toasts.count(); i > 0; i--) {
      await toasts.first().hover({ timeout: 2000 }).catch(() => undefined);
      await toasts.first().locator('.codicon-notifications-clear').first().click({ timeout: 2000 }).catch(() => undefined);
    }
  }

  /** Text of the visible notification toasts, for diagnostics. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notification-toast .notification-list-item-message').allInnerTexts().catch(() => [])).map((t) => t.trim());
  }
}

/** Whitespace-free text, to compare terminal output that wraps at the terminal's width. */
export const squash = (text: string): string => text.replace(/\s+/g, '');
