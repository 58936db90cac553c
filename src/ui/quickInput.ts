/**
 * One step of a multi-step quick input: a QuickPick or an InputBox showing "step n of m", a Back button from
 * the second step on, and Enter accepting the pre-selected default. Resolves to the answer, `BACK`, or
 * undefined when the user dismissed it (Escape).
 */
import * as vscode from 'vscode';

export const BACK = Symbol('back');
export type StepAnswer<T> = T | typeof BACK | undefined;

export interface StepPosition {
  readonly title: string;
  readonly step: number;
  readonly totalSteps: number;
}

export interface PickStepOptions<T extends vscode.QuickPickItem> extends StepPosition {
  readonly placeholder: string;
  /** A promise shows the pick at once with a progress bar; a rejection dismisses it and rejects the step. */
  readonly items: readonly T[] | Promise<readonly T[]>;
  /** The pre-selected item, i.e. what Enter accepts. */
  readonly active?: (items: readonly T[]) => T | undefined;
  readonly matchOnDescription?: boolean;
  readonly matchOnDetail?: boolean;
}

export function pickStep<T extends vscode.QuickPickItem>(options: PickStepOptions<T>, token?: vscode.CancellationToken): Promise<StepAnswer<T>> {
  const pick = vscode.window.createQuickPick<T>();
  pick.title = options.title;
  pick.step = options.step;
  pick.totalSteps = options.totalSteps;
  pick.placeholder = options.placeholder;
  pick.matchOnDescription = options.matchOnDescription ?? true;
  pick.matchOnDetail = options.matchOnDetail ?? false;
  pick.ignoreFocusOut = true;
  pick.buttons = options.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  const setItems = (items: readonly T[]): void => {
    pick.items = items;
    const active = options.active?.(items);
    if (active !== undefined) {
      pick.activeItems = [active];
    }
  };
  return settle(pick, token, (resolve, reject) => {
    if (Array.isArray(options.items)) {
      setItems(options.items as readonly T[]);
    } else {
      pick.busy = true;
      pick.enabled = false;
      (options.items as Promise<readonly T[]>).then(
        (items) => {
          pick.busy = false;
          pick.enabled = true;
          setItems(items);
        },
        (error: unknown) => reject(error),
      );
    }
    return [
      pick.onDidAccept(() => {
        const [selected] = pick.selectedItems.length > 0 ? pick.selectedItems : pick.activeItems;
        if (selected !== undefined) {
          resolve(selected);
        }
      }),
    ];
  });
}

export interface InputStepOptions extends StepPosition {
  readonly prompt: string;
  readonly value: string;
  readonly placeholder?: string;
  /** A message when the value cannot be accepted; undefined when it can. */
  readonly validate?: (value: string) => string | undefined;
}

export function inputStep(options: InputStepOptions, token?: vscode.CancellationToken): Promise<StepAnswer<string>> {
  const box = vscode.window.createInputBox();
  box.title = options.title;
  box.step = options.step;
  box.totalSteps = options.totalSteps;
  box.prompt = options.prompt;
  box.value = options.value;
  box.placeholder = options.placeholder;
  box.ignoreFocusOut = true;
  box.buttons = options.step > 1 ? [vscode.QuickInputButtons.Back] : [];
  const validate = (value: string): void => {
    const problem = options.validate?.(value);
    box.validationMessage = problem !== undefined ? { message: problem, severity: vscode.InputBoxValidationSeverity.Error } : undefined;
  };
  validate(box.value);
  return settle(box, token, (resolve) => [
    box.onDidChangeValue(validate),
    box.onDidAccept(() => {
      if (options.validate?.(box.value) === undefined) {
        resolve(box.value);
      }
    }),
  ]);
}

function settle<T, I extends vscode.QuickPickItem>(
  input: vscode.QuickPick<I> | vscode.InputBox,
  token: vscode.CancellationToken | undefined,
  wire: (resolve: (value: T) => void, reject: (error: unknown) => void) => vscode.Disposable[],
): Promise<StepAnswer<T>> {
  return new Promise<StepAnswer<T>>((resolve, reject) => {
    let done = false;
    const disposables: vscode.Disposable[] = [];
    const cleanUp = (): boolean => {
      if (done) {
        return false;
      }
      done = true;
      disposables.forEach((d) => d.dispose());
      input.dispose();
      return true;
    };
    const finish = (value: StepAnswer<T>): void => {
      if (cleanUp()) {
        resolve(value);
      }
    };
    const fail = (error: unknown): void => {
      if (cleanUp()) {
        reject(error);
      }
    };
    disposables.push(
      ...wire((value) => finish(value), fail),
      input.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) {
          finish(BACK);
        }
      }),
      input.onDidHide(() => finish(undefined)),
    );
    if (token !== undefined) {
      disposables.push(token.onCancellationRequested(() => finish(undefined)));
    }
    input.show();
  });
}
