import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { getMetadataStorage } from 'class-validator';
import { parseEnvelope, parseLoggedEnvelope } from './event-validation.js';
import {
  ChangeRequestAppliedDataDto,
  ChangeRequestAppliedEnvelopeDto,
  ProposedChangeDto,
} from './change-request.dto.js';
import { CHANGE_REQUEST_APPLIED } from './change-request.model.js';
import { EVENT_DATA } from './event.dto.js';
import { EVENT_TYPES, type EventType } from './event.model.js';
import { POLICY_SPECS } from './policy.dto.js';
import { DeadLetterHeaders, Topics } from '#messaging/topics';

// docs/asyncapi.yaml is what outside producers build against: its examples must be
// events the worker applies, and its schemas must list the fields the DTOs accept.

type Node = Record<string, any>;

const document = load(
  readFileSync(new URL('../../../docs/asyncapi.yaml', import.meta.url), 'utf8'),
) as Node;

function resolve(ref: string): Node {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Node>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
}

const deref = (node: Node): Node => (node.$ref ? deref(resolve(node.$ref)) : node);

const eventMessages = Object.values(document.channels.events.messages).map((m) => deref(m as Node));

function messageOf(type: EventType): Node {
  const found = eventMessages.filter((m) => m.name === type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The properties a DTO class validates, and those of them that must be present. */
function rulesOf(cls: abstract new () => object): { properties: string[]; required: string[] } {
  const rules = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const properties = [...new Set(rules.map((r) => r.propertyName))].sort();
  const optional = new Set(
    rules.filter((r) => r.type === 'conditionalValidation').map((r) => r.propertyName),
  );
  return { properties, required: properties.filter((p) => !optional.has(p)) };
}

describe('docs/asyncapi.yaml', () => {
  it('is an AsyncAPI 3 document whose references all resolve', () => {
    expect(document.asyncapi).toMatch(/^3\./);
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((ref) => resolve(ref) === undefined)).toEqual([]);
  });

  it("names the contract's three topics", () => {
    const { events, deadLetters, changes } = document.channels;
    expect([events.address, deadLetters.address, changes.address]).toEqual([
      Topics.Events,
      Topics.DeadLetters,
      Topics.Changes,
    ]);
  });

  describe.each(EVENT_TYPES)('%s', (type) => {
    it('has examples that the worker accepts as this type', () => {
      const message = messageOf(type);
      expect(message.examples.length).toBeGreaterThan(0);
      for (const example of message.examples) {
        const parsed = parseEnvelope(JSON.stringify(example.payload));
        expect({ example: example.name, parsed }).toMatchObject({
          parsed: { ok: true, event: { type } },
        });
      }
    });

    it('documents exactly the fields that the data class validates', () => {
      const message = messageOf(type);
      const dataSchema = deref(message.payload.allOf[1].properties.data);
      const rules = rulesOf(EVENT_DATA[type]);
      expect(Object.keys(dataSchema.properties).sort()).toEqual(rules.properties);
      expect([...(dataSchema.required ?? [])].sort()).toEqual(rules.required.sort());
    });
  });

  describe(CHANGE_REQUEST_APPLIED, () => {
    const message = () => {
      const found = eventMessages.filter((m) => m.name === CHANGE_REQUEST_APPLIED);
      expect(found).toHaveLength(1);
      return found[0];
    };

    it('has examples that the worker accepts as a change request to apply', () => {
      expect(message().examples.length).toBeGreaterThan(0);
      for (const example of message().examples) {
        const parsed = parseLoggedEnvelope(JSON.stringify(example.payload));
        expect({ example: example.name, parsed }).toMatchObject({
          parsed: { ok: true, event: { type: CHANGE_REQUEST_APPLIED } },
        });
      }
    });

    it('documents exactly the fields that its classes validate', () => {
      const envelope = deref(message().payload);
      const data = deref(envelope.properties.data);
      const change = deref(data.properties.changes.items);
      for (const [schema, cls] of [
        [envelope, ChangeRequestAppliedEnvelopeDto],
        [data, ChangeRequestAppliedDataDto],
        [change, ProposedChangeDto],
      ] as const) {
        const rules = rulesOf(cls);
        expect(Object.keys(schema.properties).sort()).toEqual(rules.properties);
        expect([...schema.required].sort()).toEqual(rules.required.sort());
      }
    });

    it('is listed among the events the worker receives', () => {
      const refs = document.operations.applyEvent.messages.map((m: Node) => m.$ref);
      expect(refs).toContain('#/channels/events/messages/changeRequestApplied');
    });
  });

  it('documents each policy spec with the fields its class validates', () => {
    const specs: Record<string, string> = {
      'rate-limit': 'RateLimitSpec',
      quota: 'QuotaSpec',
      access: 'AccessSpec',
      'circuit-breaker': 'CircuitBreakerSpec',
    };
    for (const [type, cls] of Object.entries(POLICY_SPECS)) {
      const schema = document.components.schemas[specs[type]];
      expect(Object.keys(schema.properties).sort()).toEqual(rulesOf(cls).properties);
    }
  });

  it("documents the envelope's fields", () => {
    const envelope = document.components.schemas.Envelope;
    expect(Object.keys(envelope.properties).sort()).toEqual(
      [
        'id',
        'type',
        'aggregate',
        'actor',
        'occurredAt',
        'schemaVersion',
        'expectedVersion',
        'data',
      ].sort(),
    );
    expect(envelope.properties.type.enum).toEqual([...EVENT_TYPES]);
  });

  it('gives dead letters the headers the worker sets, with an example the worker does refuse for that reason', () => {
    const letter = deref(document.channels.deadLetters.messages.deadLetter);
    expect(letter.headers.required.sort()).toEqual(
      [
        DeadLetterHeaders.Reason,
        DeadLetterHeaders.OriginalPartition,
        DeadLetterHeaders.OriginalOffset,
      ].sort(),
    );
    for (const example of letter.examples) {
      const parsed = parseEnvelope(JSON.stringify(example.payload));
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.reason).toBe(example.headers[DeadLetterHeaders.Reason]);
    }
  });

  it('describes the change feed message with an example per kind of change', () => {
    const change = deref(document.channels.changes.messages.change);
    const schema = deref(change.payload);
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['eventId', 'type', 'aggregate', 'actor', 'version', 'revision', 'state', 'appliedAt'].sort(),
    );
    expect(change.examples.map((e: Node) => e.payload.state === null)).toEqual([false, true]);
  });
});
