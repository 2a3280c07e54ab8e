// raw worker experiment: post the same data, time scans inside
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
export {};
