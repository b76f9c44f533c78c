// ESLint for the web client: the recommended JavaScript rules plus typescript-eslint's
// type-aware recommended set, over src/ (tests included) and the Vite config. `npm run lint`.
//
// typescript-eslint needs TypeScript's JavaScript compiler API, which TypeScript 7 does not ship
// (it throws "typescript-eslint does not support TS 7.0" at load), so package.json installs the
// two side by side: `typescript` is the TypeScript 6 API package (@typescript/typescript6) that
// typescript-eslint and openapi-typescript load, and `tsc` is TypeScript 7 (@typescript/native).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  // wire.gen.ts is written by openapi-typescript (`npm run gen:wire`); it is checked by tsc and
  // by the snapshot test, not hand-edited, so its style is not ours to lint.
  { ignores: ["dist/", "node_modules/", "src/wire.gen.ts"] },
  {
    files: ["src/**/*.ts", "vite.config.ts", "vitest.config.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
);
