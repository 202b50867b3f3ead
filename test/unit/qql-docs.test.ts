/**
 * docs/qql.md lists every QQL token each API takes, with its type and enum values: the lists must
 * be exactly the token tables' (a token added or renamed without its line fails here, and so does
 * a documented token that no table has).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { QqlTokenTable } from '../../src/qql/index.js';
import { PATCH_PACKAGE_QQL_TOKENS, PATCH_PAIR_QQL_TOKENS, PATCH_QQL_TOKENS } from '../../src/api/pm/patch-qql-tokens.js';
import { ASSET_QQL_TOKENS } from '../../src/api/pm/asset-qql-tokens.js';
import { deploymentJobQqlTokens } from '../../src/deploy/job-qql-tokens.js';

const docs = readFileSync(new URL('../../docs/qql.md', import.meta.url), 'utf8');

/** The rows of the table under `## <heading>`: token, type cell and meaning cell. */
function documentedTokens(heading: string): Map<string, { type: string; meaning: string }> {
  const start = docs.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/qql.md has a "## ${heading}" section`);
  const end = docs.indexOf('\n## ', start + 1);
  const rows = new Map<string, { type: string; meaning: string }>();
  for (const line of docs.slice(start, end < 0 ? undefined : end).split('\n')) {
    const cells = /^\| `([^`]+)` \| ([^|]+?) \|([^|]*)\|$/.exec(line);
    if (cells) {
      assert.ok(!rows.has(cells[1]), `${heading}: ${cells[1]} is listed once`);
      rows.set(cells[1], { type: cells[2].trim(), meaning: cells[3].trim() });
    }
  }
  return rows;
}

function assertDocumented(heading: string, table: QqlTokenTable<any>): void {
  const rows = documentedTokens(heading);
  assert.deepEqual([...rows.keys()].sort(), table.tokens.map((token) => token.name).sort(), `${heading}: the documented tokens are the table's`);
  for (const token of table.tokens) {
    const row = rows.get(token.name)!;
    const type = token.multiValued ? `${token.type}, multi-valued` : token.type;
    assert.equal(row.type, type, `${heading}: ${token.name} is a ${type}`);
    for (const value of token.enumValues ?? []) {
      assert.ok(row.meaning.includes(`\`${value}\``), `${heading}: ${token.name} lists its value ${value}`);
    }
  }
}

test('docs/qql.md lists exactly the tokens of each table, with their types and enum values', () => {
  assertDocumented('Patch tokens', PATCH_QQL_TOKENS);
  assertDocumented('Asset tokens', ASSET_QQL_TOKENS);
  assertDocumented('Job tokens', deploymentJobQqlTokens);
  assertDocumented('Package tokens', PATCH_PACKAGE_QQL_TOKENS);
  // The pair table (a patch query meeting an asset query) takes the same names.
  assert.deepEqual(PATCH_PAIR_QQL_TOKENS.tokens.map((t) => t.name).sort(), PATCH_QQL_TOKENS.tokens.map((t) => t.name).sort());
});
