// nftables tables of a node's own (made with `nft`, not through iptables): the walk does not
// evaluate their rules, but it must not call a path clear while one of them could drop the ping.
// Reads `nft -j list ruleset`; the tables iptables-nft manages are left to the iptables reading.

/** Tables iptables-nft makes (and iptables-save shows), by family. */
const IPTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const WALKED_HOOKS = new Set(['input', 'forward', 'output', 'prerouting', 'postrouting']);

interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  policy?: string;
}

/**
 * One sentence per base chain of a native table that can drop packets on the way (a drop or
 * reject rule, or a drop policy), for the walk's list of suspects. Unparsable input gives none.
 */
export function nftSuspects(json: string, where: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return [];
  }
  const items = (doc as { nftables?: unknown })?.nftables;
  if (!Array.isArray(items)) return [];
  const native = (family: string, table: string) => !((family === 'ip' || family === 'ip6') && IPTABLES_TABLES.has(table));
  const chains: NftChain[] = [];
  const dropping = new Map<string, number>();
  const id = (family: string, table: string, chain: string) => `${family}\u0000${table}\u0000${chain}`;
  for (const item of items.slice(0, 100_000)) {
    const c = (item as { chain?: NftChain })?.chain;
    if (c && typeof c.name === 'string' && typeof c.table === 'string' && typeof c.family === 'string' && native(c.family, c.table)) chains.push(c);
    const r = (item as { rule?: { family?: unknown; table?: unknown; chain?: unknown; expr?: unknown } })?.rule;
    if (r && typeof r.family === 'string' && typeof r.table === 'string' && typeof r.chain === 'string' && Array.isArray(r.expr)) {
      if (r.expr.some((e) => e && typeof e === 'object' && ('drop' in e || 'reject' in e || 'jump' in e || 'goto' in e))) {
        const k = id(r.family, r.table, r.chain);
        dropping.set(k, (dropping.get(k) ?? 0) + 1);
      }
    }
  }
  const out: string[] = [];
  for (const c of chains) {
    if (c.hook === undefined || !WALKED_HOOKS.has(c.hook) || (c.family !== 'inet' && c.family !== 'ip' && c.family !== 'netdev' && c.family !== 'bridge')) continue;
    const rules = dropping.get(id(c.family, c.table, c.name)) ?? 0;
    if (rules === 0 && c.policy !== 'drop') continue;
    const what = [rules ? `${rules} rule${rules === 1 ? '' : 's'} that drop, reject or jump` : '', c.policy === 'drop' ? 'policy drop' : ''].filter(Boolean).join(' and ');
    out.push(`${where}'s nftables chain ${c.family} ${c.table} ${c.name} (hook ${c.hook}) has ${what}: nslab does not evaluate nftables rules of their own (nft list chain ${c.family} ${c.table} ${c.name} shows them)`);
  }
  return out;
}
