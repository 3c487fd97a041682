import { sql } from 'kysely';
import type { Database } from './database.js';
import type { ProtectionMatch, ProtectionRule } from '#domain/protection';

/** A protection rule as stored, with who wrote it last and when. */
export interface StoredProtectionRule extends ProtectionRule {
  updatedBy: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The admins' protection rules. They are settings about which writes the API admits,
 * not governance state that events build, so the API writes them here directly.
 */
export class ProtectionRulesRepository {
  constructor(private readonly db: Database) {}

  /** Every rule, by name. */
  async list(): Promise<StoredProtectionRule[]> {
    const rows = await this.db.selectFrom('protection_rules').selectAll().orderBy('name').execute();
    return rows.map((row) => ({
      name: row.name,
      match: row.match,
      approvals: row.approvals,
      updatedBy: row.updated_by,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    }));
  }

  /** Creates or replaces a rule; answers whether it was created. */
  async put(
    rule: { name: string; match: ProtectionMatch; approvals: number },
    actor: string,
  ): Promise<{ created: boolean }> {
    const { rows } = await sql<{ created: boolean }>`
      INSERT INTO protection_rules (name, match, approvals, updated_by)
      VALUES (${rule.name}, ${JSON.stringify(rule.match)}::jsonb, ${rule.approvals}, ${actor})
      ON CONFLICT (name) DO UPDATE
        SET match = excluded.match, approvals = excluded.approvals,
            updated_by = excluded.updated_by, updated_at = now()
      RETURNING (xmax = 0) AS created
    `.execute(this.db);
    return { created: rows[0].created };
  }

  /** Answers whether there was such a rule. */
  async delete(name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('protection_rules')
      .where('name', '=', name)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
