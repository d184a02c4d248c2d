// Request shapes (TypeBox -> JSON schema, validated by Fastify before a handler runs). Names are
// checked again by the model with its field-level rules; these only bound sizes and types.
import { Type } from '@fastify/type-provider-typebox';

export const Name = Type.String({ minLength: 1, maxLength: 64, description: 'a lab, node or interface name' });
export const LabParams = Type.Object({ lab: Name });
export const NodeParams = Type.Object({ lab: Name, node: Name });
export const IfaceParams = Type.Object({ lab: Name, node: Name, iface: Name });

export const Endpoint = Type.Object({ node: Name, interface: Name }, { additionalProperties: false });

export const CreateLabBody = Type.Object(
  {
    name: Type.Optional(Name),
    yaml: Type.Optional(Type.String({ maxLength: 1024 * 1024, description: 'native or containerlab topology' })),
    format: Type.Optional(Type.Union([Type.Literal('native'), Type.Literal('clab')])),
  },
  { additionalProperties: false },
);

export const AddNodeBody = Type.Object({ name: Name }, { additionalProperties: false });
export const AddBridgeBody = Type.Object({ name: Name, node: Type.Optional(Name) }, { additionalProperties: false });
export const AddLinkBody = Type.Object({ a: Endpoint, b: Endpoint, bridge: Type.Optional(Name) }, { additionalProperties: false });
export const SetLinkBody = Type.Object(
  {
    up: Type.Optional(Type.Boolean()),
    mtu: Type.Optional(Type.Integer()),
    master: Type.Optional(Type.Union([Name, Type.Null()])),
    promisc: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const AddressBody = Type.Object({ address: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });
export const RouteBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64 }),
    via: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    dev: Type.Optional(Name),
    metric: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export const SysctlParams = Type.Object({ lab: Name, node: Name, key: Type.String({ minLength: 1, maxLength: 128 }) });
export const SysctlBody = Type.Object({ value: Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]) }, { additionalProperties: false });
// Each kind takes its own keys: planEdit refuses the others by name (`unknown-key`), which one
// schema per kind could only do with ajv's hard-to-read anyOf errors.
export const EditBody = Type.Object({ edit: Type.Object({ kind: Type.String({ maxLength: 32 }) }, { additionalProperties: true }) }, { additionalProperties: false });
export const ExecBody = Type.Object(
  {
    argv: Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 256 }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    input: Type.Optional(Type.String({ maxLength: 64 * 1024 })),
  },
  { additionalProperties: false },
);
export const PositionsBody = Type.Object(
  { positions: Type.Record(Type.String({ maxLength: 200 }), Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false })) },
  { additionalProperties: false },
);
// An unknown parameter (`?formt=clab`) would otherwise be ignored and the default served.
export const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('yaml'), Type.Literal('clab'), Type.Literal('sh'), Type.Literal('log')])) },
  { additionalProperties: false },
);
export const DestroyQuery = Type.Object({ keep: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
