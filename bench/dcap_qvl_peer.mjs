#!/usr/bin/env node
// The peer for `teecloud bench verify`: Phala's dcap-qvl (Rust, compiled to wasm, npm
// @phala/dcap-qvl-web, pinned in tools/package.json) verifying the same quote and collateral at
// the same time, for N seconds, in this process (one core). Prints one JSON line:
//   {"peer": "dcap-qvl-web 0.3.3 (wasm)", "verifications_per_s": ..., "status": "...", ...}
//
// Usage: node bench/dcap_qvl_peer.mjs --quote FILE --collateral FILE --at UNIX [--seconds N]
//        [--warmup CPU_SECONDS (default 1.5)]
// The package is found in tools/node_modules next to this script's repository, or in
// $DCAP_QVL_WEB_DIR. The quote file may be raw binary or hex text, like the teecloud CLI.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function usage(msg) {
  process.stderr.write(`dcap_qvl_peer: ${msg}\n` +
    'usage: node dcap_qvl_peer.mjs --quote FILE --collateral FILE --at UNIX [--seconds N]\n');
  process.exit(2);
}

const args = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i];
  if (!k.startsWith('--') || i + 1 >= process.argv.length) usage(`bad argument ${k}`);
  args[k.slice(2)] = process.argv[i + 1];
}
for (const k of ['quote', 'collateral', 'at']) if (!args[k]) usage(`--${k} is required`);
const seconds = Number(args.seconds ?? 2);
if (!(seconds > 0)) usage('--seconds must be positive');
if (!/^[0-9]+$/.test(args.at)) usage('--at must be Unix seconds');
const now = BigInt(args.at);

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = process.env.DCAP_QVL_WEB_DIR ??
  join(here, '..', 'tools', 'node_modules', '@phala', 'dcap-qvl-web');
if (!existsSync(join(pkgDir, 'dcap-qvl-web.js'))) {
  usage(`@phala/dcap-qvl-web not found in ${pkgDir} (run scripts/deps.sh)`);
}
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const { initSync, js_verify } = await import(pathToFileURL(join(pkgDir, 'dcap-qvl-web.js')).href);
initSync({ module: readFileSync(join(pkgDir, 'dcap-qvl-web_bg.wasm')) });

// Raw binary, or hex text (optional 0x prefix, whitespace), as ReadBinaryOrHexFile accepts.
function readQuote(path) {
  const raw = readFileSync(path);
  const text = raw.toString('latin1').trim().replace(/^0x/i, '').replace(/\s+/g, '');
  if (text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text)) {
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  return new Uint8Array(raw);
}

const quote = readQuote(args.quote);
// dcap-qvl takes the QuoteCollateralV3 as a JS object (its serde form = the JSON file).
const collateral = JSON.parse(readFileSync(args.collateral, 'utf8'));

let first;
try {
  first = js_verify(quote, collateral, now);
} catch (e) {
  process.stderr.write(`dcap_qvl_peer: the quote does not verify: ${e}\n`);
  process.exit(1);
}

// Rates are per CPU-second of this process (process.cpuUsage: user + system, all threads), the
// same basis as teecloud's side, so other load on the machine does not skew the comparison.
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
// Warm up until V8 has tiered the wasm up (Liftoff → TurboFan, ~1 s on this machine), so the
// peer is measured at its steady state; the warm-up is not counted.
const warmupEnd = cpuSeconds() + Number(args.warmup ?? 1.5);
while (cpuSeconds() < warmupEnd) js_verify(quote, collateral, now);
let n = 0;
const t0 = cpuSeconds();
const w0 = performance.now();
let elapsed = 0;
do {
  js_verify(quote, collateral, now);
  n++;
  elapsed = cpuSeconds() - t0;
} while (elapsed < seconds);
const wall = (performance.now() - w0) / 1000;

process.stdout.write(JSON.stringify({
  peer: `dcap-qvl-web ${pkg.version} (wasm, node ${process.version})`,
  verifications_per_s: n / elapsed,
  iterations: n,
  cpu_seconds: elapsed,
  wall_seconds: wall,
  status: first.status,
  advisory_ids: first.advisory_ids,
}) + '\n');
