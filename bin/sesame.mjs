#!/usr/bin/env node
// The `sesame` command. The CLI is TypeScript run through tsx, so it works from a checkout
// without a build step (`npx sesame …`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
