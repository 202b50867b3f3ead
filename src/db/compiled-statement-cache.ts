/**
 * Compiled statements kept under a key naming everything they were built from, so a statement
 * asked for again is not built and compiled again. Building a PM listing with Kysely (its
 * operation tree, the QQL compiled into it) and compiling that to SQL took 0.15–0.4 ms of the
 * console's CPU per request on the benchmark's store, about as long as SQLite took to run it; a
 * client paging through a listing, or polling one, asks for the same statement with only the
 * cursor changed.
 *
 * Values that change between executions of one kept statement (the cursor) are slots: compiled
 * as bound parameters standing for the slot, and replaced by the execution's values each time.
 * Everything else a statement holds must be determined by its key, or be allowed to age: a
 * statement that holds the time it was compiled at (a QQL `now-30d`) is kept only for `maxAgeMs`.
 */
import { sql, type CompiledQuery, type RawBuilder } from 'kysely';

/** Statements kept; the least recently used one is dropped beyond this. */
export const COMPILED_STATEMENTS_KEPT = 300;
/** Keys longer than this (a long query text) are not kept: compiled afresh, as they come rarely. */
export const MAX_COMPILED_STATEMENT_KEY_LENGTH = 4096;

/** A value given at each execution of a kept statement. */
export class StatementSlot<T> {
  constructor(readonly name: string) {}

  /** The slot where a statement takes its value: a bound parameter, filled in at execution. */
  value(): RawBuilder<T> {
    return sql.val(this) as unknown as RawBuilder<T>;
  }
}

/** A slot and the value it has in one execution. */
export type StatementSlotValue = readonly [StatementSlot<any>, unknown];

interface KeptStatement {
  compiled: CompiledQuery;
  /** `Date.now()` when compiled. */
  compiledAt: number;
  /** Positions in `compiled.parameters` that are slots. */
  slots: Array<{ index: number; slot: StatementSlot<unknown> }>;
}

export class CompiledStatementCache {
  private readonly kept = new Map<string, KeptStatement>();

  constructor(private readonly capacity = COMPILED_STATEMENTS_KEPT) {}

  /**
   * The statement kept under `key`, compiled by `compile` when not kept yet (or kept longer than
   * `options.maxAgeMs`), with the slots' values filled in. Without a key (or with one too long)
   * the statement is compiled afresh and not kept. A slot the statement holds but `values` does
   * not give is an error.
   */
  statement<R>(
    key: string | undefined, compile: () => CompiledQuery<R>, values: readonly StatementSlotValue[] = [], options: { maxAgeMs?: number } = {},
  ): CompiledQuery<R> {
    const keep = key !== undefined && key.length <= MAX_COMPILED_STATEMENT_KEY_LENGTH;
    let entry = keep ? this.kept.get(key) : undefined;
    if (entry && options.maxAgeMs !== undefined) {
      const age = Date.now() - entry.compiledAt;
      // (A clock set back makes the age negative: compiled again too.)
      if (age < 0 || age > options.maxAgeMs) entry = undefined;
    }
    if (entry) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.kept.delete(key!);
      this.kept.set(key!, entry);
    } else {
      const compiledAt = Date.now();
      const compiled = compile();
      entry = {
        compiled,
        compiledAt,
        slots: compiled.parameters.flatMap((value, index) => (value instanceof StatementSlot ? [{ index, slot: value }] : [])),
      };
      if (keep) {
        this.kept.set(key, entry);
        if (this.kept.size > this.capacity) this.kept.delete(this.kept.keys().next().value!);
      }
    }
    if (entry.slots.length === 0) return entry.compiled as CompiledQuery<R>;
    const parameters = [...entry.compiled.parameters];
    for (const { index, slot } of entry.slots) {
      const given = values.find(([candidate]) => candidate === slot);
      if (!given) throw new Error(`statement slot ${slot.name} was given no value`);
      parameters[index] = given[1];
    }
    return { ...entry.compiled, parameters } as CompiledQuery<R>;
  }

  /** Statements kept now. */
  get size(): number {
    return this.kept.size;
  }
}
