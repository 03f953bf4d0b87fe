// The linter: typescript-eslint's recommended rules over the sources, the tests and the scripts.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['node_modules/', 'out/', '.cache/', 'test-results/', 'server/src/language/generated/'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: globals.node },
        rules: {
            // A name that starts with _ is unused on purpose (an argument an interface requires).
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
            // Control characters are matched on purpose: what a file says is quoted with them escaped.
            'no-control-regex': 'off'
        }
    },
    {
        // The command's launcher runs on any Node, before the bundle: CommonJS.
        files: ['**/*.cjs'],
        languageOptions: { sourceType: 'commonjs' },
        rules: { '@typescript-eslint/no-require-imports': 'off' }
    }
);
