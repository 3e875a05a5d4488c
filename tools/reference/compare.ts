/**
 * Compares a `light-peft grad` output with a fixture's expected.safetensors: every tensor the
 * command writes must be present in both, same shape, within 1e-4 relative to the expected
 * tensor's largest magnitude. Usage: node --import tsx tools/reference/compare.ts GOT EXPECTED
 */
import { readFileSync } from 'node:fs';
import { parseSafetensors, readTensorF32 } from '../../src/engine/io/safetensors';

const [gotFile, wantFile] = process.argv.slice(2);
const got = parseSafetensors(readFileSync(gotFile), gotFile);
const want = parseSafetensors(readFileSync(wantFile), wantFile);
const keys = [...want.tensors.keys()].filter((k) => /^(logits|loss|loss\.task|grad\..*|score\..*)$/.test(k));
let failures = 0;
for (const key of keys) {
  if (!got.tensors.has(key)) {
    console.log(`MISSING ${key}`);
    failures++;
    continue;
  }
  const a = readTensorF32(got, key).data;
  const b = readTensorF32(want, key).data;
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  const rel = a.length === b.length ? diff / Math.max(ref, 1e-30) : Infinity;
  const ok = rel <= 1e-4;
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${key} rel=${rel.toExponential(2)}`);
}
const extra = [...got.tensors.keys()].filter((k) => !keys.includes(k));
for (const k of extra) console.log(`EXTRA ${k}`);
console.log(`${keys.length - failures} passed, ${failures + extra.length} failed`);
process.exit(failures + extra.length ? 1 : 0);
