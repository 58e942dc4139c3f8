import { writeFileSync } from 'node:fs';
import { gansuUnits } from '../support.js';
writeFileSync(process.argv[2]!, JSON.stringify(gansuUnits()));
