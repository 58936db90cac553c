/**
 * Shell scripts that run in pods live in `.sh` files next to the code that runs them, imported as text:
 * esbuild's text loader in the bundle (esbuild.mjs), test/setup/shellScriptText.mjs under tsx and mocha.
 */
declare module '*.sh' {
  const text: string;
  export default text;
}
