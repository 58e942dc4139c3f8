#!/usr/bin/env node
// `npm start`: the server, compiled JavaScript when current, else TypeScript (bin/launch.mjs).
import { launch } from './launch.mjs';

await launch('services/main');
