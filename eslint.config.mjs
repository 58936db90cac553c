import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '**/*.mjs', 'test/cluster/demo/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    // Kubernetes and protocol logic stays testable outside VS Code: only the UI layer and the wiring
    // may import the editor API.
    files: ['src/**/*.ts'],
    ignores: ['src/extension.ts', 'src/ui/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/ui and src/extension.ts import vscode.' }] }],
    },
  },
  {
    // The one policy gate: only the spec builders mint the types ClusterApi's add/create calls accept
    // (src/cluster/policyChecked.ts), and nothing casts its way to them.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/debug/debugContainerSpec.ts', 'src/debug/podCopy.ts', 'test/suite/extension/helpers/policyChecked.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        {
          selector: "MemberExpression[object.name=/^PolicyChecked(Container|Pod)$/][property.name='mint']",
          message: 'Only the spec builders mint policy-checked specs: build the container with buildDebugContainer, the copy with buildPodCopy, or a node debug pod with buildNodeDebugPod.',
        },
        {
          selector: "TSAsExpression > TSTypeReference[typeName.name=/^PolicyChecked(Container|Pod)$/]",
          message: 'Do not cast to a policy-checked type: build the spec with buildDebugContainer, buildPodCopy or buildNodeDebugPod.',
        },
      ],
    },
  },
);
