/**
 * QQL lexer: query text → lexemes.
 *
 * - Whitespace (anything JavaScript's `\s` matches) separates lexemes and is otherwise ignored,
 *   so `token:value`, `token: value` and `token : value` are the same.
 * - Punctuation: `:` `(` `)` `[` `]` `,` `..` and the comparison operators `>` `>=` `<` `<=` `=`.
 * - `"phrase"` and `` `exact` `` are quoted values. Inside them a backslash escapes the closing
 *   quote character or another backslash; any other backslash is kept as it is, so Windows paths
 *   such as `"C:\Windows"` need no doubling.
 * - A word is a run of any other characters. It ends at whitespace, punctuation, a quote, or `..`
 *   (so `[1..5]` is a range). One exception keeps ISO timestamps whole: a word that starts with
 *   `YYYY-MM-DDThh:mm` keeps the colons of its time and offset (`2024-05-01T10:00:00+02:00`).
 * - Whether a word is a keyword (AND, OR, NOT in any case), a token name or a value depends on
 *   where it stands, so the parser decides that, not the lexer.
 */
import { END_OF_QUERY, QqlSyntaxError } from './errors.js';

/** Inputs beyond these are refused before any work is done. */
export const QQL_LIMITS = Object.freeze({
  /** Characters in one query. */
  maxLength: 4000,
  /** Parentheses and NOTs nested inside each other. */
  maxDepth: 50,
});

export type QqlLexemeKind =
  | 'word' | 'phrase' | 'exact'
  | 'colon' | 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'comma' | 'dotdot' | 'operator'
  | 'end';

export interface QqlLexeme {
  kind: QqlLexemeKind;
  /** For quoted values the unescaped content; otherwise the same as `raw`. */
  text: string;
  /** The characters of the query this lexeme covers (empty for `end`). */
  raw: string;
  position: number;
}

const PUNCTUATION: Record<string, QqlLexemeKind> = {
  ':': 'colon', '(': 'lparen', ')': 'rparen', '[': 'lbracket', ']': 'rbracket', ',': 'comma',
};
/** Characters that end a word (besides whitespace and `..`). */
const WORD_BREAKERS = new Set([':', '(', ')', '[', ']', ',', '"', '`', '<', '>', '=']);
const ISO_TIMESTAMP_HEAD = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?/y;
const WHITESPACE = /\s/;

function isWhitespace(ch: string): boolean {
  return WHITESPACE.test(ch);
}

function isWordCharacter(text: string, index: number): boolean {
  const ch = text[index];
  if (isWhitespace(ch) || WORD_BREAKERS.has(ch)) return false;
  return !(ch === '.' && text[index + 1] === '.');
}

/** Describes a character for error messages; control characters are not printable as such. */
function describeCharacter(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0xd800 && code <= 0xdfff) ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
}

/**
 * Where `text` holds half of a UTF-16 surrogate pair, or -1. JSON can carry one (`"\ud800"`), but
 * it is no character: every store and encoder would turn it into U+FFFD.
 */
export function unpairedSurrogateIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

/** Refuses what neither store can hold: NUL and unpaired UTF-16 surrogates. */
function checkCharacters(text: string): void {
  const nul = text.indexOf('\u0000');
  const surrogate = unpairedSurrogateIndex(text);
  // The first of the two is reported.
  if (nul >= 0 && (surrogate < 0 || nul < surrogate)) {
    throw new QqlSyntaxError({ position: nul, found: describeCharacter(text[nul]), expected: 'a character other than NUL' });
  }
  if (surrogate >= 0) {
    throw new QqlSyntaxError({ position: surrogate, found: describeCharacter(text[surrogate]), expected: 'well-formed Unicode text (an unpaired surrogate is not a character)' });
  }
}

/** Refuses queries over the length limit, naming where the excess starts. */
export function checkQqlLength(text: string): void {
  if (text.length > QQL_LIMITS.maxLength) {
    throw new QqlSyntaxError({
      kind: 'limit',
      position: QQL_LIMITS.maxLength,
      found: `${text.length - QQL_LIMITS.maxLength} more characters`,
      expected: `a query of at most ${QQL_LIMITS.maxLength} characters`,
      summary: 'QQL query too long',
    });
  }
}

function readQuoted(text: string, start: number): { lexeme: QqlLexeme; end: number } {
  const quote = text[start];
  const kind: QqlLexemeKind = quote === '"' ? 'phrase' : 'exact';
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && (text[i + 1] === quote || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === quote) {
      return { lexeme: { kind, text: value, raw: text.slice(start, i + 1), position: start }, end: i + 1 };
    }
    value += ch;
    i++;
  }
  const name = quote === '"' ? 'double quote (")' : 'backtick (`)';
  throw new QqlSyntaxError({
    position: text.length,
    found: END_OF_QUERY,
    expected: `a closing ${name} for the value opened at position ${start}`,
  });
}

/** Splits a query into lexemes, ending with one `end` lexeme at `text.length`. */
export function tokenizeQql(text: string): QqlLexeme[] {
  checkQqlLength(text);
  checkCharacters(text);
  const lexemes: QqlLexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (isWhitespace(ch)) {
      i++;
      continue;
    }
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      lexemes.push({ kind: punctuation, text: ch, raw: ch, position: i });
      i++;
      continue;
    }
    if (ch === '.' && text[i + 1] === '.') {
      lexemes.push({ kind: 'dotdot', text: '..', raw: '..', position: i });
      i += 2;
      continue;
    }
    if (ch === '<' || ch === '>' || ch === '=') {
      const operator = (ch === '<' || ch === '>') && text[i + 1] === '=' ? `${ch}=` : ch;
      lexemes.push({ kind: 'operator', text: operator, raw: operator, position: i });
      i += operator.length;
      continue;
    }
    if (ch === '"' || ch === '`') {
      const { lexeme, end } = readQuoted(text, i);
      lexemes.push(lexeme);
      i = end;
      continue;
    }
    const start = i;
    ISO_TIMESTAMP_HEAD.lastIndex = i;
    if (ISO_TIMESTAMP_HEAD.test(text)) i = ISO_TIMESTAMP_HEAD.lastIndex;
    while (i < text.length && isWordCharacter(text, i)) i++;
    const word = text.slice(start, i);
    lexemes.push({ kind: 'word', text: word, raw: word, position: start });
  }
  lexemes.push({ kind: 'end', text: '', raw: '', position: text.length });
  return lexemes;
}

/** True when `text` lexes back as exactly one word, i.e. it can be written without quotes. */
export function isQqlBareWord(text: string): boolean {
  if (text.length === 0 || text.length > QQL_LIMITS.maxLength) return false;
  try {
    const lexemes = tokenizeQql(text);
    return lexemes.length === 2 && lexemes[0].kind === 'word' && lexemes[0].text === text;
  } catch {
    return false;
  }
}
