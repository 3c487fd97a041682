import { AuditService, decodeAuditCursor, encodeAuditCursor } from './audit.service.js';
import { SecretCipher } from '#config/secret-cipher';
import type { AuditEntry, AuditQuery, EventLogRepository } from '#persistence/event-log.repository';
import { ProblemException } from '../http/problem.js';

function anEntry(seq: number): AuditEntry {
  return {
    seq,
    eventId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    type: 'config.set',
    aggregate: 'service:checkout',
    actor: 'alice',
    version: seq,
    before: null,
    after: { value: seq },
    occurredAt: '2026-01-01T00:00:00.000Z',
    source: 'api',
    actorVerified: true,
    protectionBypassed: false,
    appliedAt: '2026-01-01T00:00:01.000Z',
  };
}

/** An audit log of `size` entries that answers queries the way the repository does. */
function auditLog(size: number) {
  const queries: AuditQuery[] = [];
  const entries = Array.from({ length: size }, (_, i) => anEntry(size - i));
  const repository = {
    audit: async (query: AuditQuery) => {
      queries.push(query);
      return entries
        .filter((e) => query.before === undefined || e.seq < query.before)
        .slice(0, query.limit);
    },
  } as unknown as EventLogRepository;
  return { service: new AuditService(repository, new SecretCipher(Buffer.alloc(32, 1))), queries };
}

describe(AuditService.name, () => {
  describe('page', () => {
    it('pages through the log newest first with an opaque cursor, and ends with a null cursor', async () => {
      const { service } = auditLog(5);
      const first = await service.page({ limit: 2 });
      expect(first.items.map((e) => e.version)).toEqual([5, 4]);
      expect(first.items[0]).not.toHaveProperty('seq');
      const second = await service.page({ limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((e) => e.version)).toEqual([3, 2]);
      const last = await service.page({ limit: 2, cursor: second.nextCursor! });
      expect(last.items.map((e) => e.version)).toEqual([1]);
      expect(last.nextCursor).toBeNull();
    });

    it('passes the filters on, reading since and until as instants', async () => {
      const { service, queries } = auditLog(1);
      await service.page({
        aggregate: 'service:checkout',
        actor: 'alice',
        type: 'policy.set',
        since: '2026-01-01T00:00:00Z',
        until: '2026-01-02T00:00:00Z',
      });
      expect(queries[0]).toEqual({
        aggregate: 'service:checkout',
        actor: 'alice',
        type: 'policy.set',
        since: new Date('2026-01-01T00:00:00Z'),
        until: new Date('2026-01-02T00:00:00Z'),
        before: undefined,
        limit: 51,
      });
    });

    it('refuses an until that is not later than since, naming until', async () => {
      const { service } = auditLog(1);
      const failure = await service
        .page({ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProblemException);
      expect((failure as ProblemException).problem.errors).toEqual([
        { field: 'until', message: 'until must be later than since' },
      ]);
    });
  });

  describe('cursors', () => {
    it('round-trips a sequence number', () => {
      expect(decodeAuditCursor(encodeAuditCursor(42))).toBe(42);
    });

    it.each([
      'not-ours',
      Buffer.from('{"before":"1"}').toString('base64url'),
      Buffer.from('{"before":-3}').toString('base64url'),
    ])('answers a 400 naming cursor for %p', (cursor) => {
      expect(() => decodeAuditCursor(cursor)).toThrow(ProblemException);
      try {
        decodeAuditCursor(cursor);
      } catch (error) {
        expect((error as ProblemException).problem).toMatchObject({
          status: 400,
          errors: [{ field: 'cursor' }],
        });
      }
    });
  });
});
