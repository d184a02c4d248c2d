// The model's input checks, the same ones the server runs, so a field is judged as you type exactly
// as it will be judged on submit. Imported by file rather than through the package index, which
// also carries the YAML parser and the deploy planner the page never runs (about 30 kB gzipped).
export { checkCidr, checkIp, checkInterfaceName, checkMtu, checkNodeName, MAX_INTERFACE_NAME_BYTES } from '../../../packages/model/src/names.ts';
