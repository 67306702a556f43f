#!/usr/bin/env node
// Compiles Solidity sources with the pinned solc (package.json) through its standard-JSON
// interface and writes one deterministic artifact per deployable contract.
//
//   node contracts/build.mjs [--check] <out-dir> <source.sol>...
//
// Paths are relative to the current directory. Sources must lie inside the contracts folder (the
// folder of this script); they are named to solc, and in the artifacts, by their path relative to
// it, so the output does not depend on where the command is run from. Imports resolve inside the
// contracts folder too. Metadata is not appended to the bytecode (no CBOR, no hash), so the bytecode
// depends only on the source text and the settings below.
//
// For each contract with bytecode (interfaces and abstract contracts have none) defined in one of
// the listed sources, <out-dir>/<ContractName>.json gets:
//   contract, source, solc, settings, abi, bytecode (initcode), deployedBytecode (runtime), sourceKeccak
//
// --check compiles in memory, writes nothing, and exits 1 with one line per artifact that is
// missing or differs from what its source compiles to (or that names a listed source but is no
// longer produced by it).
//
// Any solc error prints `file:line:column: message` lines and exits 1; warnings are printed too.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc');

const CONTRACTS_DIR = path.dirname(fileURLToPath(import.meta.url));

// The one compiler configuration of the project. Changing it changes every artifact.
const SETTINGS = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 1000000 },
  viaIR: true,
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: {
    '*': {
      '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'metadata'],
    },
  },
};

function usage(message) {
  if (message) console.error(`build.mjs: ${message}`);
  console.error('usage: node contracts/build.mjs [--check] <out-dir> <source.sol>...');
  process.exit(2);
}

function toPosix(p) {
  return p.split(path.sep).join('/');
}

/** The source unit name: the path relative to the contracts folder, with forward slashes. */
function unitName(file) {
  const rel = path.relative(CONTRACTS_DIR, path.resolve(file));
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    usage(`${file} is outside the contracts folder ${CONTRACTS_DIR}`);
  }
  return toPosix(rel);
}

/** Resolves an import (already a source unit name, relative imports made absolute by solc). */
function findImport(name) {
  const full = path.resolve(CONTRACTS_DIR, name);
  const rel = path.relative(CONTRACTS_DIR, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    return { error: `import ${name} is outside the contracts folder` };
  }
  try {
    return { contents: fs.readFileSync(full, 'utf8') };
  } catch (e) {
    return { error: `cannot read ${name}: ${e.message}` };
  }
}

/** 1-based line and column of a character offset into a text. */
function lineColumn(text, offset) {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return [lines.length, lines[lines.length - 1].length + 1];
}

function describe(diagnostic, displayNames, texts) {
  const loc = diagnostic.sourceLocation;
  const label = `${diagnostic.severity}${diagnostic.errorCode ? ` ${diagnostic.errorCode}` : ''}`;
  const text = loc && texts[loc.file];
  if (loc && text !== undefined && loc.start >= 0) {
    const [line, column] = lineColumn(text, loc.start);
    const where = displayNames[loc.file] ?? loc.file;
    return `${where}:${line}:${column}: ${label}: ${diagnostic.message}`;
  }
  const where = loc ? (displayNames[loc.file] ?? loc.file) : '<solc>';
  return `${where}: ${label}: ${diagnostic.message}`;
}

function main(argv) {
  const check = argv.includes('--check');
  const positional = argv.filter((a) => a !== '--check');
  for (const a of positional) {
    if (a.startsWith('-')) usage(`unknown option ${a}`);
  }
  if (positional.length < 2) usage('need an output folder and at least one source');
  const [outDir, ...files] = positional;

  const sources = {};
  const displayNames = {};
  const texts = {};
  for (const file of files) {
    const name = unitName(file);
    let content;
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch (e) {
      usage(`cannot read ${file}: ${e.message}`);
    }
    sources[name] = { content };
    displayNames[name] = file;
    texts[name] = content;
  }

  const input = { language: 'Solidity', sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));

  // Imported sources: read them for line numbers in diagnostics.
  for (const name of Object.keys(output.sources ?? {})) {
    if (texts[name] === undefined) {
      const found = findImport(name);
      if (found.contents !== undefined) texts[name] = found.contents;
    }
  }

  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((d) => d.severity === 'error');
  for (const d of diagnostics) {
    if (d.severity !== 'error' && d.severity !== 'info') console.error(describe(d, displayNames, texts));
  }
  if (errors.length > 0) {
    for (const d of errors) console.error(describe(d, displayNames, texts));
    console.error(`build.mjs: ${errors.length} error(s); nothing written`);
    process.exit(1);
  }

  const version = solc.version();
  const artifacts = new Map(); // file name -> text
  for (const name of Object.keys(sources)) {
    const contracts = output.contracts?.[name] ?? {};
    for (const contract of Object.keys(contracts).sort()) {
      const c = contracts[contract];
      const bytecode = c.evm?.bytecode?.object ?? '';
      if (bytecode === '') continue; // interface or abstract contract: nothing to deploy
      const fileName = `${contract}.json`;
      if (artifacts.has(fileName)) {
        console.error(`build.mjs: two contracts named ${contract} among the sources; artifact names would clash`);
        process.exit(1);
      }
      const metadata = JSON.parse(c.metadata);
      const artifact = {
        contract,
        source: name,
        solc: version,
        settings: SETTINGS,
        abi: c.abi,
        bytecode: `0x${bytecode}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
        sourceKeccak: metadata.sources[name].keccak256,
      };
      artifacts.set(fileName, `${JSON.stringify(artifact, null, 2)}\n`);
    }
  }

  if (check) {
    const problems = [];
    for (const [fileName, text] of artifacts) {
      const target = path.join(outDir, fileName);
      let existing;
      try {
        existing = fs.readFileSync(target, 'utf8');
      } catch {
        problems.push(`${target}: missing; it is what ${displayNames[JSON.parse(text).source]} compiles to`);
        continue;
      }
      if (existing !== text) {
        problems.push(`${target}: differs from what ${displayNames[JSON.parse(text).source]} compiles to`);
      }
    }
    // Artifacts that claim one of these sources but are no longer produced (a renamed contract).
    let present = [];
    try {
      present = fs.readdirSync(outDir).filter((f) => f.endsWith('.json')).sort();
    } catch {
      // A missing folder is already reported above, artifact by artifact.
    }
    for (const f of present) {
      if (artifacts.has(f)) continue;
      let source;
      try {
        source = JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8')).source;
      } catch {
        continue;
      }
      if (source in sources) {
        problems.push(`${path.join(outDir, f)}: stale; ${displayNames[source]} no longer defines this contract`);
      }
    }
    for (const p of problems) console.error(p);
    if (problems.length > 0) {
      console.error(`build.mjs: ${problems.length} artifact(s) out of date; rebuild with the same command without --check`);
      process.exit(1);
    }
    console.log(`build.mjs: ${artifacts.size} artifact(s) in ${outDir} match their sources (solc ${version})`);
    return;
  }

  fs.mkdirSync(outDir, { recursive: true });
  for (const [fileName, text] of artifacts) {
    fs.writeFileSync(path.join(outDir, fileName), text);
  }
  console.log(`build.mjs: wrote ${artifacts.size} artifact(s) to ${outDir} (solc ${version})`);
}

main(process.argv.slice(2));
