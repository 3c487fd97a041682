import {
  approve,
  cancel,
  checkApplication,
  isDue,
  mayApply,
  reject,
  settleApplication,
  type Reviewer,
} from './change-request.rules.js';
import {
  CHANGE_REQUEST_STATUSES,
  type ChangeRequest,
  type ChangeRequestStatus,
} from './change-request.model.js';

const AT = '2026-03-01T12:00:00.000Z';
const alice: Reviewer = { actor: 'alice', admin: false };
const bob: Reviewer = { actor: 'bob', admin: false };
const carol: Reviewer = { actor: 'carol', admin: false };
const root: Reviewer = { actor: 'root', admin: true };

function aRequest(overrides: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    title: 'Raise the limits',
    reason: 'Black Friday',
    status: 'pending',
    requiredApprovals: 1,
    approvals: [],
    changes: [{ type: 'config.set', data: { slug: 'checkout', env: 'prod', key: 'k', value: 1 } }],
    author: 'alice',
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  };
}

const verbs = {
  approve: (r: ChangeRequest, by: Reviewer) => approve(r, by, AT),
  reject: (r: ChangeRequest, by: Reviewer) => reject(r, by, AT),
  cancel: (r: ChangeRequest, by: Reviewer) => cancel(r, by, AT),
  apply: (r: ChangeRequest) => mayApply(r),
};
type Verb = keyof typeof verbs;

describe('change request rules', () => {
  describe('every verb from every state', () => {
    // [from, verb, by, outcome]: a status reached, or the refusal's code.
    type Row = [
      ChangeRequestStatus,
      Verb,
      Reviewer,
      ChangeRequestStatus | 'forbidden' | 'conflict',
    ];
    const table: Row[] = [
      ['pending', 'approve', bob, 'approved'],
      ['pending', 'approve', alice, 'forbidden'],
      ['pending', 'reject', bob, 'rejected'],
      ['pending', 'reject', alice, 'forbidden'],
      ['pending', 'cancel', alice, 'cancelled'],
      ['pending', 'cancel', root, 'cancelled'],
      ['pending', 'cancel', bob, 'forbidden'],
      ['pending', 'apply', alice, 'conflict'],
      ['approved', 'approve', carol, 'approved'],
      ['approved', 'reject', carol, 'rejected'],
      ['approved', 'cancel', alice, 'cancelled'],
      ['approved', 'cancel', bob, 'forbidden'],
      ['approved', 'apply', bob, 'approved'],
      ...(['applied', 'rejected', 'cancelled', 'failed'] as const).flatMap((from) =>
        (Object.keys(verbs) as Verb[]).map((verb): Row => [
          from,
          verb,
          verb === 'cancel' ? alice : bob,
          'conflict',
        ]),
      ),
    ];

    it('covers every status', () => {
      expect(new Set(table.map(([from]) => from))).toEqual(new Set(CHANGE_REQUEST_STATUSES));
    });

    it.each(table)('%s, %s by %o: %s', (from, verb, by, outcome) => {
      const approvals = from === 'pending' ? [] : [{ actor: 'bob', at: AT }];
      const decision = verbs[verb](aRequest({ status: from, approvals }), by);
      if (outcome === 'forbidden' || outcome === 'conflict') {
        expect(decision).toMatchObject({ ok: false, code: outcome });
      } else {
        expect(decision).toMatchObject({ ok: true, request: { status: outcome } });
      }
    });
  });

  describe('approve', () => {
    it('stays pending until it has as many approvals as it requires', () => {
      const first = approve(aRequest({ requiredApprovals: 2 }), bob, AT, 'fine');
      expect(first).toMatchObject({
        ok: true,
        changed: true,
        request: { status: 'pending', approvals: [{ actor: 'bob', comment: 'fine', at: AT }] },
      });
      const second = first.ok && approve(first.request, carol, AT);
      expect(second).toMatchObject({ ok: true, request: { status: 'approved' } });
    });

    it('counts a second approval by the same reviewer once', () => {
      const first = approve(aRequest({ requiredApprovals: 2 }), bob, AT);
      const again = first.ok && approve(first.request, bob, AT);
      expect(again).toMatchObject({ ok: true, changed: false });
      expect(again && again.ok && again.request.approvals).toHaveLength(1);
    });
  });

  describe('reject and cancel', () => {
    it('record who closed the request and why', () => {
      expect(reject(aRequest(), bob, AT, 'not now')).toMatchObject({
        request: { status: 'rejected', closedBy: { actor: 'bob', comment: 'not now', at: AT } },
      });
      expect(cancel(aRequest(), root, AT)).toMatchObject({
        request: { status: 'cancelled', closedBy: { actor: 'root', at: AT } },
      });
    });
  });

  describe('mayApply', () => {
    it('names the approvals missing', () => {
      const refusal = mayApply(aRequest({ requiredApprovals: 2 }));
      expect(refusal).toMatchObject({ ok: false, code: 'conflict' });
      expect(!refusal.ok && refusal.message).toMatch(/0 of 2 approvals/);
    });

    it('allows an approved request before its applyAt', () => {
      const scheduled = aRequest({ status: 'approved', applyAt: '2027-01-01T00:00:00.000Z' });
      expect(mayApply(scheduled)).toMatchObject({ ok: true });
    });
  });

  describe('isDue', () => {
    it.each([
      ['approved', '2026-03-01T11:59:59.000Z', true],
      ['approved', AT, true],
      ['approved', '2026-03-01T12:00:01.000Z', false],
      ['pending', '2026-03-01T11:00:00.000Z', false],
      ['cancelled', '2026-03-01T11:00:00.000Z', false],
    ] as const)('%s with applyAt %s: %s', (status, applyAt, due) => {
      expect(isDue(aRequest({ status, applyAt }), AT)).toBe(due);
    });

    it('is never due without applyAt', () => {
      expect(isDue(aRequest({ status: 'approved' }), AT)).toBe(false);
    });
  });

  describe('checkApplication and settleApplication', () => {
    it('applies only an approved request that exists', () => {
      expect(checkApplication(undefined, 'x')).toMatchObject({ ok: false, code: 'not-found' });
      expect(checkApplication(aRequest({ status: 'cancelled' }), 'x')).toMatchObject({
        ok: false,
        code: 'conflict',
      });
      expect(checkApplication(aRequest({ status: 'approved' }), 'x')).toEqual({ ok: true });
    });

    it('settles applied, or failed with the reason', () => {
      const approved = aRequest({ status: 'approved' });
      expect(settleApplication(approved, 'e1', AT)).toMatchObject({
        status: 'applied',
        applyEventId: 'e1',
        appliedAt: AT,
      });
      const failed = settleApplication(approved, 'e1', AT, 'stale');
      expect(failed).toMatchObject({ status: 'failed', failureReason: 'stale' });
      expect(failed).not.toHaveProperty('appliedAt');
    });
  });
});
