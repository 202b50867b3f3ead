import { parseQql, validateQql } from '../../qql/index.js';
import type { JobQqlCheck } from '../../deploy/deployment-job-validation.js';
import { PATCH_QQL_TOKENS } from './patch-qql-tokens.js';

/**
 * Checks a job's patch selection query: patch QQL (dynamicQQLType 1) against the patch listing's
 * tokens; vulnerability QQL (type 2) for syntax only, as no vulnerability token table exists yet.
 */
export const checkJobQql: JobQqlCheck = (qql, kind) => {
  const ast = parseQql(qql);
  if (kind === 'patch') validateQql(ast, PATCH_QQL_TOKENS);
};

