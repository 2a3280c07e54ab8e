// Writes the generated schema documents (the AIR and the trace layout) from their single source.
import { writeFileSync } from 'node:fs';
import { airDocument, traceDocument } from '../src/air/documents.js';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
writeFileSync(new URL('../schemas/air-v2.json', import.meta.url), json(airDocument()));
writeFileSync(new URL('../schemas/trace-v2.json', import.meta.url), json(traceDocument()));
console.log('wrote schemas/air-v2.json and schemas/trace-v2.json');
