/** The runtime recipes by kind, and what to tell the user when the language's debugger extension is missing. */
import type { RuntimeKind } from '../processes';
import type { RuntimeRecipe } from './common';
import { goRecipe } from './go';
import { javaRecipe } from './java';
import { nodeRecipe } from './node';
import { pythonRecipe } from './python';

export const RECIPES: Readonly<Record<RuntimeKind, RuntimeRecipe>> = {
  node: nodeRecipe,
  java: javaRecipe,
  python: pythonRecipe,
  go: goRecipe,
};

export function recipeFor(runtime: RuntimeKind): RuntimeRecipe {
  return RECIPES[runtime];
}

export interface DebuggerExtension {
  readonly id: string;
  readonly name: string;
  /** Built into VS Code (js-debug): never missing. */
  readonly builtIn: boolean;
}

export function debuggerExtensionFor(runtime: RuntimeKind): DebuggerExtension {
  const recipe = RECIPES[runtime];
  return { id: recipe.extensionId, name: recipe.extensionName, builtIn: recipe.builtIn };
}

/**
 * The message when the language's debugger is not installed (undefined when it is, or is built in).
 * `isInstalled` answers for an extension id (vscode.extensions.getExtension in the UI).
 */
export function missingDebuggerMessage(runtime: RuntimeKind, isInstalled: (extensionId: string) => boolean): string | undefined {
  const extension = debuggerExtensionFor(runtime);
  if (extension.builtIn || isInstalled(extension.id)) return undefined;
  return `Attaching to ${RECIPES[runtime].label} needs the "${extension.name}" extension (${extension.id}): install it, then start the debug session again.`;
}

export type { RuntimeRecipe } from './common';
