import type { PatchwardenDb } from './database.js';

/** Small key/value settings kept in the database (never secrets). */
export async function readSetting(db: PatchwardenDb, key: string): Promise<string | undefined> {
  const row = await db.kysely.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: PatchwardenDb, key: string, value: string): Promise<void> {
  await db.kysely.insertInto('settings').values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
