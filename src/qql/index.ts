/**
 * QQL, the query language of the PM API's `query`, `havingQuery`, `filter` and
 * `dynamicPatchesQQL` parameters: parse, validate against an entity's token table, and compile
 * to SQL (SQLite and PostgreSQL) or to an in-memory predicate with the same results.
 *
 *   const ast = parseQql('vendorSeverity:`Critical` AND NOT title:preview');   // QqlSyntaxError
 *   validateQql(ast, patchTokens);                                              // QqlValidationError
 *   query.where(compileQqlToWhere(ast, patchTokens, { dialect: db.dialect, alias: 'p' }));
 *   const matches = compileQqlToPredicate(ast, patchTokens);                    // (row) => boolean
 *
 * In a route: catch `QqlError` and answer with the PM API's `pmQqlErrorResponse(error, 'query')`.
 */
export type { QqlAst, QqlAnd, QqlComparisonOperator, QqlCondition, QqlNode, QqlNot, QqlOr, QqlTerm, QqlValue, QqlValueStyle } from './ast.js';
export { stripQqlPositions } from './ast.js';
export { parseQqlDate, QQL_DATE_FORMS, qqlDependsOnNow, type QqlDateSpan } from './date-literal.js';
export {
  END_OF_QUERY, isQqlError, QqlError, QqlSyntaxError, QqlValidationError,
  type QqlErrorKind,
} from './errors.js';
export { formatQql, formatQqlValue } from './format.js';
export { isQqlBareWord, QQL_LIMITS, tokenizeQql, unpairedSurrogateIndex, type QqlLexeme, type QqlLexemeKind } from './lexer.js';
export { parseQql } from './parser.js';
export { compileQqlToPredicate } from './predicate.js';
export { compileQqlToWhere, escapeQqlLikePattern, type QqlSqlOptions } from './sql-compiler.js';
export {
  defineQqlTokenTable, findQqlToken, foldQqlCase, readQqlToken,
  type QqlAccessor, type QqlChildColumn, type QqlColumnToken, type QqlMultiValuedToken, type QqlTokenDefinition, type QqlTokenTable, type QqlValueType,
} from './token-table.js';
export { bindQql, validateQql, type QqlBindOptions, type QqlBoundNode, type QqlInterval, type QqlValueTest } from './validator.js';
