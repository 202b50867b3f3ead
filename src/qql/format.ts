/**
 * Prints a syntax tree back as QQL text. For any tree the parser produced,
 * `parseQql(formatQql(tree))` gives the same tree again (apart from positions). The output is
 * canonical: keywords upper-case, one space around AND/OR, `token:value` with no spaces, lists as
 * `[a,b]`, ranges as `[lo..hi]`, parentheses only where precedence needs them, and each value
 * quoted the way it was written.
 *
 * The canonical text is no longer than the input except where the input glued a keyword to a
 * quote or parenthesis (`a:"x"OR(b:1)`), which gains a space; so a query right at the length
 * limit can, in that corner, print a little over it.
 */
import type { QqlCondition, QqlNode, QqlValue } from './ast.js';
import { isQqlBareWord } from './lexer.js';

/**
 * Quotes a value, escaping only what would otherwise be misread: the quote character, and a
 * backslash that stands before a quote, another backslash, or the end. So the output is never
 * longer than any quoted input that means the same (`"C:\Windows"` stays as it is).
 */
function quoted(text: string, quote: '"' | '`'): string {
  let out = quote;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === quote) out += `\\${ch}`;
    else if (ch === '\\' && (next === undefined || next === '\\' || next === quote)) out += '\\\\';
    else out += ch;
  }
  return out + quote;
}

/** Prints one value in the style it was written; a bare value that is not one word is quoted as a phrase. */
export function formatQqlValue(value: QqlValue): string {
  switch (value.style) {
    case 'exact':
      return quoted(value.text, '`');
    case 'phrase':
      return quoted(value.text, '"');
    case 'bare':
      return isQqlBareWord(value.text) ? value.text : quoted(value.text, '"');
  }
}

function formatCondition(condition: QqlCondition): string {
  switch (condition.kind) {
    case 'match':
      return `:${formatQqlValue(condition.value)}`;
    case 'list':
      return `:[${condition.values.map(formatQqlValue).join(',')}]`;
    case 'range': {
      const low = formatQqlValue(condition.low);
      const high = formatQqlValue(condition.high);
      // `1...5` would lex as 1 .. .5: keep a dot next to `..` apart from it.
      const dots = low.endsWith('.') || high.startsWith('.') ? ' .. ' : '..';
      return `:${condition.lowInclusive ? '[' : '('}${low}${dots}${high}${condition.highInclusive ? ']' : ')'}`;
    }
    case 'compare':
      return `${condition.operator}${formatQqlValue(condition.value)}`;
  }
}

function formatOperand(node: QqlNode, parent: 'and' | 'or' | 'not'): string {
  const text = formatQql(node);
  const needsParentheses = parent === 'not'
    ? node.kind === 'and' || node.kind === 'or'
    : (parent === 'and' && node.kind === 'or') || node.kind === parent;
  return needsParentheses ? `(${text})` : text;
}

export function formatQql(node: QqlNode): string {
  switch (node.kind) {
    case 'term':
      return `${node.token}${formatCondition(node.condition)}`;
    case 'not':
      return `NOT ${formatOperand(node.operand, 'not')}`;
    case 'and':
      return node.operands.map((operand) => formatOperand(operand, 'and')).join(' AND ');
    case 'or':
      return node.operands.map((operand) => formatOperand(operand, 'or')).join(' OR ');
  }
}
