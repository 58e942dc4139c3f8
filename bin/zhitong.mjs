#!/usr/bin/env node
// The installed `zhitong` command (the CLI): compiled JavaScript when current, else TypeScript (bin/launch.mjs).
import { launch } from './launch.mjs';

await launch('services/cli');
