#!/usr/bin/env node
// build-artifacts.js: compiles contracts/src/*.sol with the pinned solc-js and writes one JSON
// file with the ABI and creation bytecode of every contract, for the C++ client and the CLI:
//
//   {"compiler": "0.8.37+commit...", "contracts": {"TeeCloudRegistry": {"abi": [...],
//    "bytecode": "0x..."}, ...}}
//
// Usage: node build-artifacts.js --out FILE [--solc DIR] [--openzeppelin DIR]
// Run by CMake (src/chain/CMakeLists.txt) whenever a .sol file changes; nothing compiled is ever
// committed. Settings match foundry.toml (optimizer 200 runs, evm cancun), so the bytecode is the
// one forge tests. Source unit names are stable ("src/X.sol", "@openzeppelin/contracts/..."), so
// the metadata hash in the bytecode does not depend on where the checkout lives.
"use strict";
const fs = require("fs");
const path = require("path");

const here = __dirname;
const args = process.argv.slice(2);
function flag(name, fallback) {
  const i = args.indexOf(name);
  if (i >= 0 && i + 1 < args.length) return args[i + 1];
  return fallback;
}
const out = flag("--out", "");
if (!out) {
  process.stderr.write("usage: build-artifacts.js --out FILE [--solc DIR] [--openzeppelin DIR]\n");
  process.exit(2);
}
const modules = path.resolve(here, "..", "tools", "node_modules");
const solcDir = path.resolve(flag("--solc", path.join(modules, "solc")));
const ozDir = path.resolve(flag("--openzeppelin", path.join(modules, "@openzeppelin", "contracts")));

let solc;
try {
  solc = require(solcDir);
} catch (e) {
  process.stderr.write(`build-artifacts: cannot load solc-js from ${solcDir} (run scripts/deps.sh): ${e.message}\n`);
  process.exit(1);
}

const srcDir = path.join(here, "src");
const sources = {};
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`src/${f}`] = { content: fs.readFileSync(path.join(srcDir, f), "utf8") };
}

const OZ_PREFIX = "@openzeppelin/contracts/";
function findImports(unit) {
  let root = null;
  let file = null;
  if (unit.startsWith(OZ_PREFIX)) {
    root = ozDir;
    file = path.resolve(ozDir, unit.slice(OZ_PREFIX.length));
  } else if (unit.startsWith("src/")) {
    root = srcDir;
    file = path.resolve(here, unit);
  }
  if (file === null || !file.startsWith(root + path.sep)) {
    return { error: `import outside the allowed roots: ${unit}` };
  }
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (_) {
    return { error: `file not found: ${unit}` };
  }
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: Object.fromEntries(
      Object.keys(sources).map((unit) => [unit, { "*": ["abi", "evm.bytecode.object"] }])),
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
let failed = false;
for (const e of output.errors || []) {
  // OpenZeppelin's own warnings are not ours to fix (foundry.toml ignores them too).
  const ours = !(e.sourceLocation && e.sourceLocation.file.startsWith(OZ_PREFIX));
  if (e.severity === "error") failed = true;
  if (e.severity === "error" || ours) process.stderr.write((e.formattedMessage || e.message) + "\n");
}
if (failed) {
  process.stderr.write("build-artifacts: compilation failed\n");
  process.exit(1);
}

const contracts = {};
for (const unit of Object.keys(output.contracts || {}).sort()) {
  if (!unit.startsWith("src/")) continue;
  for (const [name, c] of Object.entries(output.contracts[unit])) {
    const code = c.evm && c.evm.bytecode ? c.evm.bytecode.object : "";
    contracts[name] = { source: unit, abi: c.abi, bytecode: "0x" + code };
  }
}
for (const required of ["TeeCloudRegistry", "AppController", "AppFactory"]) {
  if (!contracts[required] || contracts[required].bytecode.length <= 2) {
    process.stderr.write(`build-artifacts: no bytecode for ${required}\n`);
    process.exit(1);
  }
}

const doc = { compiler: solc.version(), contracts };
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
const tmp = `${out}.tmp.${process.pid}`;
fs.writeFileSync(tmp, JSON.stringify(doc, null, 1) + "\n", { mode: 0o644 });
fs.renameSync(tmp, out);
