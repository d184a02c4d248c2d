// The labs/ folder, bundled at build time: each lab's topology file and the first paragraph of its README.
import { firstParagraph } from './first-paragraph.ts';

export interface CatalogLab {
  folder: string;
  file: string;
  format: 'native' | 'clab';
  yaml: string;
  title: string;
  description: string;
}

const topologies = import.meta.glob('../../../../labs/*/topology.{yaml,clab.yml}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const readmes = import.meta.glob('../../../../labs/*/README.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export { firstParagraph };

function topologyName(yaml: string): string | undefined {
  return /^name:\s*["']?([A-Za-z0-9_.-]+)["']?\s*$/m.exec(yaml)?.[1];
}

export const catalog: CatalogLab[] = Object.entries(topologies)
  .map(([path, yaml]) => {
    const m = /labs\/([^/]+)\/(topology\.(?:yaml|clab\.yml))$/.exec(path)!;
    const folder = m[1]!;
    const readme = Object.entries(readmes).find(([p]) => p.includes(`/labs/${folder}/`))?.[1] ?? '';
    return {
      folder,
      file: m[2]!,
      format: m[2]!.endsWith('.clab.yml') ? ('clab' as const) : ('native' as const),
      yaml,
      title: topologyName(yaml) ?? folder,
      description: firstParagraph(readme),
    };
  })
  .sort((a, b) => a.folder.localeCompare(b.folder));
