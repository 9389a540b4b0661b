// TEST STAND-IN for actions/upload-artifact (see action.yml). act copies this folder away from the
// repository, so the library is found through RERECORD_ACT_NODE_MODULES (tests/act/node_modules),
// which the act tests pass with --env.
'use strict';
const fs = require('fs');
const path = require('path');

const modules = process.env.RERECORD_ACT_NODE_MODULES;
if (!modules) {
  console.log('::error::RERECORD_ACT_NODE_MODULES is not set: run `npm ci --prefix tests/act` and pass it with --env');
  process.exit(1);
}
// The library refuses to run when GITHUB_SERVER_URL is not github.com (it takes that for GitHub
// Enterprise Server, which has no v4 artifacts); the tests serve git from 127.0.0.1. The upload
// itself only talks to ACTIONS_RESULTS_URL (act's artifact server).
process.env.GITHUB_SERVER_URL = 'https://github.com';
const { DefaultArtifactClient } = require(path.join(modules, '@actions/artifact'));

function input(name) {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '').trim();
}

function walk(dir, hidden, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!hidden && entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, hidden, out);
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function main() {
  const name = input('name');
  const root = path.resolve(input('path'));
  const files = fs.existsSync(root) ? walk(root, input('include-hidden-files') === 'true', []) : [];
  if (files.length === 0) {
    const how = input('if-no-files-found');
    const msg = `no files found at ${root}`;
    if (how === 'error') throw new Error(msg);
    if (how === 'warn') console.log(`::warning::${msg}`);
    return;
  }
  const retention = parseInt(input('retention-days') || '0', 10);
  const options = retention > 0 ? { retentionDays: retention } : {};
  const { id, size } = await new DefaultArtifactClient().uploadArtifact(name, files, root, options);
  console.log(`uploaded artifact ${name} (id ${id}, ${size} bytes, ${files.length} files)`);
  fs.appendFileSync(process.env.GITHUB_OUTPUT, `artifact-id=${id}\n`);
}

main().catch((e) => {
  console.log(`::error::upload-artifact stand-in: ${e.message}`);
  process.exit(1);
});
