import { TransferService } from './transfer.service.js';
import type { ImportDocumentDto } from './transfer.dto.js';
import type { GovernanceRepository } from '#persistence/governance.repository';
import type {
  EventGateway,
  SubmittedWrite,
  WriteCommand,
} from '../writes/event-gateway.service.js';
import { ProblemException } from '../http/problem.js';
import type { ProtectionGate } from '../protection/protection-gate.service.js';
import { SecretCipher } from '#config/secret-cipher';

const cipher = new SecretCipher(Buffer.alloc(32, 3));

const aService = (slug: string) => ({
  service: { slug, name: 'Svc', owner: 'team-a', tier: 1, lifecycle: 'production' },
  policies: [{ type: 'quota', env: '*', enabled: true, spec: { limit: 5, period: 'day' } }],
  config: [{ env: 'prod', key: 'timeout', value: 800 }],
});

const nothingStored = {
  serviceHoldings: async () => new Map(),
  defaultPolicies: async () => ({ items: [], revision: 0 }),
} as unknown as GovernanceRepository;

/** A gateway that records what it publishes; `refuse` makes Kafka refuse those event types. */
function gateway(options: { refuse?: string[]; outcome?: SubmittedWrite['outcome'] } = {}) {
  const published: (WriteCommand & { wait?: number })[] = [];
  let next = 0;
  const fake = {
    submit: async (command: WriteCommand, wait?: number): Promise<SubmittedWrite> => {
      if (options.refuse?.includes(command.type))
        throw new ProblemException(503, 'The event log is unavailable');
      published.push({ ...command, wait });
      next += 1;
      return {
        eventId: `event-${next}`,
        aggregate: `service:${String(command.data.slug)}`,
        outcome: options.outcome,
      };
    },
  };
  return { gateway: fake as unknown as EventGateway, published };
}

/** No protection rule covers anything these tests import. */
const unprotected = { admitDirect: async () => undefined } as unknown as ProtectionGate;

const options = {
  dryRun: false,
  actor: 'alice',
  grant: { role: 'writer' as const, actor: 'alice', scopes: [] },
  requestId: 'req-1',
};
const doc = (document: Record<string, unknown>) => document as unknown as ImportDocumentDto;

describe(TransferService.name, () => {
  describe('importDocument', () => {
    it('answers a dry run with the plan and publishes nothing', async () => {
      const { gateway: fake, published } = gateway();
      const { report, settled } = await new TransferService(
        nothingStored,
        fake,
        unprotected,
        cipher,
      ).importDocument(doc({ services: [aService('alpha')] }), { ...options, dryRun: true });
      expect(published).toEqual([]);
      expect(settled).toBe(true);
      expect(report).toEqual({
        dryRun: true,
        summary: { create: 3, update: 0, unchanged: 0 },
        changes: [
          { resource: 'service', slug: 'alpha', action: 'create' },
          { resource: 'policy', slug: 'alpha', type: 'quota', env: '*', action: 'create' },
          { resource: 'config', slug: 'alpha', env: 'prod', key: 'timeout', action: 'create' },
        ],
        services: [
          {
            slug: 'alpha',
            before: null,
            after: {
              ...aService('alpha'),
              service: { ...aService('alpha').service, tags: [], links: [] },
            },
          },
        ],
      });
    });

    it("publishes each service's events in order, as the importing actor, and reports their ids", async () => {
      const { gateway: fake, published } = gateway();
      const { report, settled } = await new TransferService(
        nothingStored,
        fake,
        unprotected,
        cipher,
      ).importDocument(doc({ services: [aService('alpha'), aService('beta')] }), options);
      const order = (slug: string) =>
        published.filter((c) => c.data.slug === slug).map((c) => c.type);
      expect(order('alpha')).toEqual(['service.registered', 'policy.set', 'config.set']);
      expect(order('beta')).toEqual(['service.registered', 'policy.set', 'config.set']);
      expect(
        published.every(
          (c) => c.actor === 'alice' && c.requestId === 'req-1' && c.wait === undefined,
        ),
      ).toBe(true);
      expect(
        report.changes.every((c) => c.status === 'accepted' && c.eventId?.startsWith('event-')),
      ).toBe(true);
      expect(settled).toBe(false);
    });

    it('reports the outcomes when it waited for them', async () => {
      const outcome = {
        eventId: 'x',
        status: 'applied' as const,
        aggregate: 'service:alpha',
        at: 0,
      };
      const { gateway: fake, published } = gateway({ outcome });
      const { report, settled } = await new TransferService(
        nothingStored,
        fake,
        unprotected,
        cipher,
      ).importDocument(doc({ services: [aService('alpha')] }), { ...options, waitSeconds: 10 });
      expect(published.every((c) => c.wait !== undefined && c.wait > 0 && c.wait <= 10)).toBe(true);
      expect(report.changes.map((c) => c.status)).toEqual(['applied', 'applied', 'applied']);
      expect(settled).toBe(true);
    });

    it('publishes nothing when any field of the document is invalid', async () => {
      const { gateway: fake, published } = gateway();
      const bad = {
        ...aService('beta'),
        policies: [{ type: 'quota', env: '*', enabled: true, spec: { limit: 0, period: 'day' } }],
      };
      const failure = await new TransferService(nothingStored, fake, unprotected, cipher)
        .importDocument(doc({ services: [aService('alpha'), bad] }), options)
        .catch((error: unknown) => error);
      expect((failure as ProblemException).problem).toMatchObject({
        status: 400,
        errors: [{ field: 'services.1.policies.0.spec.limit' }],
      });
      expect(published).toEqual([]);
    });

    it("stops an aggregate's events after Kafka refused one, and answers 503 when it refused all", async () => {
      const partly = gateway({ refuse: ['policy.set'] });
      const { report } = await new TransferService(
        nothingStored,
        partly.gateway,
        unprotected,
        cipher,
      ).importDocument(doc({ services: [aService('alpha')] }), options);
      expect(report.changes.map((c) => c.status)).toEqual(['accepted', 'not-accepted', undefined]);

      const none = gateway({ refuse: ['service.registered'] });
      await expect(
        new TransferService(nothingStored, none.gateway, unprotected, cipher).importDocument(
          doc({ services: [aService('alpha')] }),
          options,
        ),
      ).rejects.toMatchObject({ problem: { status: 503 } });
    });
  });

  describe('secrets', () => {
    const storedSecret = (value: unknown) =>
      ({
        serviceHoldings: async () =>
          new Map([
            [
              'alpha',
              {
                service: { ...aService('alpha').service, tags: [], links: [], version: 1 },
                policies: [],
                config: [
                  {
                    env: 'prod',
                    key: 'db',
                    value: cipher.encrypt(value),
                    secret: true,
                    version: 1,
                  },
                ],
                revision: 2,
              },
            ],
          ]),
        defaultPolicies: async () => ({ items: [], revision: 0 }),
      }) as unknown as GovernanceRepository;
    const withSecret = (value: unknown) => ({
      service: aService('alpha').service,
      config: [{ env: 'prod', key: 'db', value, secret: true }],
    });

    it('refuses a masked secret with 422 naming the field, and publishes nothing', async () => {
      const { gateway: fake, published } = gateway();
      const failure = await new TransferService(storedSecret('pw'), fake, unprotected, cipher)
        .importDocument(doc(withSecret('***')), options)
        .catch((error: unknown) => error);
      expect((failure as ProblemException).problem).toMatchObject({
        status: 422,
        errors: [{ field: 'config.0.value' }],
      });
      expect(published).toEqual([]);
    });

    it('compares plaintexts: the same secret sent again is unchanged, another one an update', async () => {
      const { gateway: fake } = gateway();
      const service = new TransferService(storedSecret('pw'), fake, unprotected, cipher);
      const same = await service.importDocument(doc(withSecret('pw')), {
        ...options,
        dryRun: true,
      });
      const other = await service.importDocument(doc(withSecret('new')), {
        ...options,
        dryRun: true,
      });
      expect(same.report.changes.find((c) => c.resource === 'config')?.action).toBe('unchanged');
      expect(other.report.changes.find((c) => c.resource === 'config')?.action).toBe('update');
      // The writer has no secrets scope: the stored value is masked in the diff's before.
      expect(JSON.stringify(other.report.services)).not.toContain('"pw"');
    });
  });
});
