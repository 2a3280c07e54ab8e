import { parentPort } from 'node:worker_threads';
import { assemble } from '../../src/isa/assemble.js';
const n: number = assemble('LOADI 1\nHALT\n').instructions.length;
parentPort!.postMessage(n);
