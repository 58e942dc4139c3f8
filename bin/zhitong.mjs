#!/usr/bin/env node
// The installed `zhitong` command: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli.ts');
