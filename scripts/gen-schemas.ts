// Writes the generated schema documents (the AIR, the trace layout, the instruction set) from their single source.
import { writeFileSync } from 'node:fs';
import { airDocument, traceDocument } from '../src/air/documents.js';
import { isaDocument } from '../src/isa/document.js';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
writeFileSync(new URL('../schemas/air-v2.json', import.meta.url), json(airDocument()));
writeFileSync(new URL('../schemas/trace-v2.json', import.meta.url), json(traceDocument()));
writeFileSync(new URL('../schemas/isa-v1.json', import.meta.url), json(isaDocument()));
console.log('wrote schemas/air-v2.json, schemas/trace-v2.json and schemas/isa-v1.json');
