// Interface aliases of containerlab node kinds. A router's links may name its ports the way its
// own CLI does (`ethernet-1/1`, `1/1/c1/1`, `Gi0/0/0/0`); containerlab maps each to the Linux
// name the port gets in the container (`e1-1`, `e1-1-c1-1`, `eth1`), and so does nslab. The rules
// are containerlab's (nodes/<kind>/*.go: InterfaceRegexp, InterfaceOffset, GetMappedInterfaceName),
// its regular expressions unanchored as Go's MatchString uses them.

export type AliasMapping = { name: string } | { error: string };

interface Rule {
  re: RegExp;
  map: (m: RegExpExecArray, alias: string) => AliasMapping;
  /** vrnetlab (VM) kinds: names already of the ethN form are not mapped. */
  vm: boolean;
}

/** `ethN` from a port number, as vrnetlab nodes number their data ports (first is eth1). */
function ethFromPort(offset: number, firstIndex = 1) {
  return (m: RegExpExecArray, alias: string): AliasMapping => {
    const index = Number(m.groups!.port) - offset + firstIndex;
    if (index < firstIndex) return { error: `${alias} maps to port index ${index}, below the first data port (${firstIndex})` };
    return { name: `eth${index}` };
  };
}

function atLeastOne(alias: string, parts: Record<string, string | undefined>): AliasMapping | undefined {
  for (const [what, v] of Object.entries(parts)) {
    if (v !== undefined && Number(v) < 1) return { error: `the ${what} number in ${alias} is ${v}; containerlab needs it to be 1 or more` };
  }
  return undefined;
}

const SRL: Rule = {
  re: /ethernet-(?<linecard>\d+)\/(?<port>\d+)(?:\/(?<channel>\d+))?/,
  vm: false,
  map: (m, alias) => {
    const { linecard, port, channel } = m.groups!;
    const bad = atLeastOne(alias, { linecard, port, channel });
    if (bad) return bad;
    return { name: `e${Number(linecard)}-${Number(port)}${channel !== undefined ? `-${Number(channel)}` : ''}` };
  },
};

const SRSIM: Rule = {
  re: /^(?<card>\d+)\/(?:x(?<xiom>\d+)\/)?(?<mda>\d+)(?:\/c(?<connector>\d+))?\/(?<port>\d+)$/,
  vm: false,
  map: (m, alias) => {
    const { card, xiom, mda, connector, port } = m.groups!;
    const bad = atLeastOne(alias, { card, xiom, mda, connector, port });
    if (bad) return bad;
    const x = xiom !== undefined ? `x${Number(xiom)}-` : '';
    const c = connector !== undefined ? `c${Number(connector)}-` : '';
    return { name: `e${Number(card)}-${x}${Number(mda)}-${c}${Number(port)}` };
  },
};

// The vrnetlab SR OS (nokia_sros) without `components:`: slot 1, MDA 1 only; a connector port
// `1/1/cN/1` is ethN.
const VR_SROS: Rule = {
  re: /^(?<slot>\d+)\/(?:x(?<xiom>\d+)\/)?(?<mda>\d+)\/(?:c(?<conn>\d+)\/)?(?<port>\d+)$/,
  vm: true,
  map: (m, alias) => {
    const { slot, mda, conn, port } = m.groups!;
    if (Number(port) < 1) return { error: `${alias} has port number ${port}; ports start at 1` };
    if (Number(slot) !== 1 || Number(mda) !== 1) {
      return { error: `${alias} is not on slot 1 / MDA 1: containerlab maps only those ports on a node without components; use the ethN name` };
    }
    if (conn !== undefined && Number(port) !== 1) return { error: `${alias} is a breakout sub-port; containerlab does not map those, use the ethN name` };
    const index = conn !== undefined ? Number(conn) : Number(port);
    if (index < 1) return { error: `${alias} maps to port index ${index}; ports start at 1` };
    return { name: `eth${index}` };
  },
};

const IOL: Rule = {
  re: /(?:e|Ethernet)\s?(?<slot>\d+)\/(?<port>\d+)$/,
  vm: true,
  map: (m, alias) => {
    // Only the ports an IOL image has (e0/1-e0/3, e1/0-e9/3); e0/0 is its management port.
    if (!/(e|Ethernet)((0\/[123])|([1-9]\/[0-3]))$/.test(alias)) return { error: `${alias} is not a data port of a cisco_iol node (e0/1-e0/3, e1/0-e9/3)` };
    return { name: `eth${Number(m.groups!.slot) * 4 + Number(m.groups!.port)}` };
  },
};

function vr(re: RegExp, offset: number): Rule {
  return { re, vm: true, map: ethFromPort(offset) };
}

const JUNOS = /(?:et|xe|ge)-0\/0\/(?<port>\d+)$/;
const XR = /(?:Gi|GigabitEthernet)\s?0\/0\/0\/(?<port>\d+)$/;
const XR_TE = /(?:Gi|GigabitEthernet|Te|TenGigE|TenGigabitEthernet)\s?0\/0\/0\/(?<port>\d+)/;
const GI = /(?:Gi|GigabitEthernet)\s?(?<port>\d+)$/;
const GI0 = /(?:GigabitEthernet|Gi)\s?0\/(?<port>\d+)/;

const RULES: [string[], Rule][] = [
  [['srl', 'nokia_srlinux'], SRL],
  [['nokia_srsim'], SRSIM],
  [['nokia_sros', 'vr-sros', 'vr-nokia_sros'], VR_SROS],
  [['cisco_iol'], IOL],
  [['ciena_saos', 'vr-ciena_saos'], vr(/^(?<port>[1-9]\d*)$/, 1)],
  [['cisco_asav'], vr(GI0, 0)],
  [['cisco_sdwan'], vr(/eth(?<port>\d+)$/, 1)],
  [['cisco_vios'], vr(GI, 0)],
  [['cisco_xrd_vrouter'], vr(XR_TE, 0)],
  [['cjunosevolved', 'juniper_cjunosevolved'], vr(/et-0\/0\/(?<port>\d+)$/, -3)],
  [['f5_bigip-ve'], vr(/^1\.(?<port>\d+)$/, 1)],
  [['fortinet_fortigate'], vr(/port(?<port>\d+)$/, 2)],
  [['nvidia_cumulusvx'], vr(/swp(?<port>\d+)/, 1)],
  [['aruba_aoscx', 'vr-aoscx', 'vr-aruba_aoscx'], vr(/1\/1\/(?<port>\d+)/, 1)],
  [['cisco_c8000v'], vr(GI, 2)],
  [['cisco_cat9kv'], vr(/(?:Gi|GigabitEthernet)\s?1\/0\/(?<port>\d+)$/, 1)],
  [['cisco_csr1000v', 'vr-csr', 'vr-cisco_csr1000v'], vr(GI, 2)],
  [['freebsd'], vr(/vtnet(?<port>\d+)/, 1)],
  [['cisco_ftdv'], vr(GI0, 0)],
  [['cisco_n9kv', 'vr-n9kv', 'vr-cisco_n9kv'], vr(/(?:Ethernet|Et)\s?1\/(?<port>\d+)/, 1)],
  [['openbsd'], vr(/vio(?<port>\d+)/, 1)],
  [['paloalto_panos', 'vr-pan', 'vr-paloalto_panos'], vr(/Ethernet1\/(?<port>\d+)/, 1)],
  [['mikrotik_ros', 'vr-ros', 'vr-mikrotik_ros'], vr(/ether(?<port>\d+)/, 2)],
  [['arista_veos', 'vr-veos', 'vr-arista_veos'], vr(/(?:Et|Ethernet)1\/(?<port>\d+)/, 1)],
  [['juniper_vjunosevolved', 'juniper_vjunosrouter', 'juniper_vjunosswitch', 'juniper_vmx', 'vr-vmx', 'vr-juniper_vmx', 'juniper_vqfx', 'vr-vqfx', 'vr-juniper_vqfx', 'juniper_vsrx', 'vr-vsrx', 'vr-juniper_vsrx'], vr(JUNOS, 0)],
  [['cisco_xrv', 'vr-xrv', 'vr-cisco_xrv'], vr(XR, 0)],
  [['cisco_xrv9k', 'vr-xrv9k', 'vr-cisco_xrv9k'], vr(XR_TE, 0)],
  // Not a VM: its ports are portN, mapped to ethN one to one.
  [['spirent_stc'], { re: /port(?<port>[1-9])/, vm: false, map: ethFromPort(0, 0) }],
];

const BY_KIND = new Map(RULES.flatMap(([kinds, rule]) => kinds.map((k) => [k, rule] as const)));
/** Data-port names vrnetlab kinds take as they are. */
const VM_NAME = /eth[1-9]\d*$/;

/**
 * The kernel name containerlab gives interface `name` of a node of `kind`: `{name}` when `name`
 * is an alias of that kind, `{error}` when it looks like one but containerlab refuses it, and
 * undefined when it is not an alias (used as it is).
 */
export function mapInterfaceAlias(kind: string | undefined, name: string): AliasMapping | undefined {
  const rule = kind !== undefined ? BY_KIND.get(kind) : undefined;
  if (!rule) return undefined;
  if (rule.vm && VM_NAME.test(name)) return undefined;
  const m = rule.re.exec(name);
  if (!m) return undefined;
  return rule.map(m, name);
}

/** Kinds whose interface aliases are mapped. */
export const ALIAS_KINDS: readonly string[] = [...BY_KIND.keys()];
