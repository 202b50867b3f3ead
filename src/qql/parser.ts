/**
 * QQL parser: text → syntax tree (ast.ts). Recursive descent over the lexer's output.
 *
 *   query      = or-expr end
 *   or-expr    = and-expr { OR and-expr }
 *   and-expr   = unary { AND unary }
 *   unary      = NOT unary | "(" or-expr ")" | term
 *   term       = token ( ":" [ operator ] condition-value | operator value )
 *   condition-value = value | list | range         (a range or list only right after ":")
 *   list       = "[" value { "," value } "]"
 *   range      = ( "[" | "(" ) value ".." value ( "]" | ")" )
 *   value      = word | "phrase" | `exact`
 *   token      = name { "." name },  name = letter or _ followed by letters, digits, _
 *   operator   = ">" | ">=" | "<" | "<=" | "="
 *
 * AND, OR and NOT are keywords in any letter case; NOT binds tightest, then AND, then OR. There
 * is no implicit AND: two terms side by side are an error that says AND or OR was expected.
 * Keywords are only keywords where an operator can stand, so `name:and` looks for the value "and".
 * An empty query is an error; callers that treat "no query" as "everything" check for it first.
 */
import type { QqlComparisonOperator, QqlCondition, QqlNode, QqlTerm, QqlValue } from './ast.js';
import { END_OF_QUERY, QqlSyntaxError } from './errors.js';
import { QQL_LIMITS, tokenizeQql, type QqlLexeme } from './lexer.js';

const TOKEN_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const EXPECTED_AFTER_TERM = 'AND, OR, ")" or the end of the query';
const EXPECTED_TERM = 'a term (token:value), NOT or "("';
const EXPECTED_VALUE = 'a value (a word, "phrase" or `exact value`)';

function keyword(lexeme: QqlLexeme): 'AND' | 'OR' | 'NOT' | undefined {
  if (lexeme.kind !== 'word') return undefined;
  const upper = lexeme.text.toUpperCase();
  return upper === 'AND' || upper === 'OR' || upper === 'NOT' ? upper : undefined;
}

function found(lexeme: QqlLexeme): string {
  return lexeme.kind === 'end' ? END_OF_QUERY : lexeme.raw;
}

class QqlParser {
  private index = 0;
  private depth = 0;

  constructor(private readonly lexemes: QqlLexeme[]) {}

  private peek(): QqlLexeme {
    return this.lexemes[this.index];
  }

  private advance(): QqlLexeme {
    const lexeme = this.lexemes[this.index];
    if (lexeme.kind !== 'end') this.index++;
    return lexeme;
  }

  private fail(lexeme: QqlLexeme, expected: string): never {
    throw new QqlSyntaxError({ position: lexeme.position, found: found(lexeme), expected });
  }

  private enter(lexeme: QqlLexeme): void {
    if (++this.depth > QQL_LIMITS.maxDepth) {
      throw new QqlSyntaxError({
        kind: 'limit',
        position: lexeme.position,
        found: lexeme.raw,
        expected: `at most ${QQL_LIMITS.maxDepth} levels of nested parentheses and NOTs`,
        summary: 'QQL query nested too deeply',
      });
    }
  }

  parseQuery(): QqlNode {
    if (this.peek().kind === 'end') this.fail(this.peek(), EXPECTED_TERM);
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end') this.fail(next, EXPECTED_AFTER_TERM);
    return node;
  }

  private parseOr(): QqlNode {
    const first = this.parseAnd();
    const operands = first.kind === 'or' ? [...first.operands] : [first];
    while (keyword(this.peek()) === 'OR') {
      this.advance();
      const next = this.parseAnd();
      if (next.kind === 'or') operands.push(...next.operands);
      else operands.push(next);
    }
    return operands.length === 1 ? first : { kind: 'or', operands, position: first.position };
  }

  private parseAnd(): QqlNode {
    const first = this.parseUnary();
    const operands = first.kind === 'and' ? [...first.operands] : [first];
    while (keyword(this.peek()) === 'AND') {
      this.advance();
      const next = this.parseUnary();
      if (next.kind === 'and') operands.push(...next.operands);
      else operands.push(next);
    }
    return operands.length === 1 ? first : { kind: 'and', operands, position: first.position };
  }

  private parseUnary(): QqlNode {
    const lexeme = this.peek();
    if (keyword(lexeme) === 'NOT') {
      this.enter(lexeme);
      this.advance();
      const operand = this.parseUnary();
      this.depth--;
      return { kind: 'not', operand, position: lexeme.position };
    }
    if (lexeme.kind === 'lparen') {
      this.enter(lexeme);
      this.advance();
      if (this.peek().kind === 'rparen') this.fail(this.peek(), EXPECTED_TERM);
      const inner = this.parseOr();
      const close = this.peek();
      if (close.kind !== 'rparen') this.fail(close, `AND, OR or ")" to close the "(" at position ${lexeme.position}`);
      this.advance();
      this.depth--;
      return inner;
    }
    return this.parseTerm();
  }

  private parseTerm(): QqlTerm {
    const name = this.peek();
    if (name.kind !== 'word' || keyword(name) !== undefined) this.fail(name, EXPECTED_TERM);
    if (!TOKEN_NAME.test(name.text)) {
      this.fail(name, 'a token name (letters, digits and _, parts joined by ".", e.g. tags.name)');
    }
    this.advance();
    const next = this.peek();
    let condition: QqlCondition;
    if (next.kind === 'colon') {
      this.advance();
      condition = this.parseConditionAfterColon();
    } else if (next.kind === 'operator') {
      this.advance();
      condition = { kind: 'compare', operator: next.text as QqlComparisonOperator, value: this.parseValue(), position: next.position };
    } else {
      this.fail(next, `":" or a comparison operator (>, >=, <, <=, =) after the token ${name.text}`);
    }
    return { kind: 'term', token: name.text, condition, position: name.position };
  }

  private parseConditionAfterColon(): QqlCondition {
    const next = this.peek();
    if (next.kind === 'operator') {
      this.advance();
      return { kind: 'compare', operator: next.text as QqlComparisonOperator, value: this.parseValue(), position: next.position };
    }
    if (next.kind === 'lparen') return this.parseRange(next, false, this.advanceAndParseValue());
    if (next.kind === 'lbracket') {
      const first = this.advanceAndParseValue();
      if (this.peek().kind === 'dotdot') return this.parseRange(next, true, first);
      return this.parseList(next, first);
    }
    return { kind: 'match', value: this.parseValue() };
  }

  private advanceAndParseValue(): QqlValue {
    this.advance();
    return this.parseValue();
  }

  private parseRange(open: QqlLexeme, lowInclusive: boolean, low: QqlValue): QqlCondition {
    const dots = this.peek();
    if (dots.kind !== 'dotdot') this.fail(dots, '".." between the two ends of the range');
    this.advance();
    const high = this.parseValue();
    const close = this.peek();
    if (close.kind !== 'rbracket' && close.kind !== 'rparen') {
      this.fail(close, `"]" (inclusive) or ")" (exclusive) to close the range opened at position ${open.position}`);
    }
    this.advance();
    return { kind: 'range', low, high, lowInclusive, highInclusive: close.kind === 'rbracket', position: open.position };
  }

  private parseList(open: QqlLexeme, first: QqlValue): QqlCondition {
    const values = [first];
    for (;;) {
      const next = this.peek();
      if (next.kind === 'rbracket') {
        this.advance();
        return { kind: 'list', values, position: open.position };
      }
      if (next.kind !== 'comma') this.fail(next, `"," or "]" to close the list opened at position ${open.position}`);
      this.advance();
      values.push(this.parseValue());
    }
  }

  private parseValue(): QqlValue {
    const lexeme = this.peek();
    if (lexeme.kind === 'word' || lexeme.kind === 'phrase' || lexeme.kind === 'exact') {
      this.advance();
      const style = lexeme.kind === 'word' ? 'bare' : lexeme.kind;
      return { style, text: lexeme.text, position: lexeme.position };
    }
    this.fail(lexeme, EXPECTED_VALUE);
  }
}

/** Parses QQL text into a syntax tree; throws `QqlSyntaxError` for anything that is not QQL. */
export function parseQql(text: string): QqlNode {
  return new QqlParser(tokenizeQql(text)).parseQuery();
}
