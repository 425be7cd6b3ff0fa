#!/usr/bin/env node
// The `rfm` command. Sources are TypeScript; tsx compiles them on load.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
