// Commands that exist only inside a lab, in a directory of the lab's own /run tmpfs that lab shells
// and `nslab exec` put first on PATH. The host's PATH never includes it, and the host's /run has no
// such directory. Today: `sudo`, because tutorials prefix their commands with it and a lab's shell is
// root already (a real sudo could not work there anyway: its files belong to a uid the lab does not map).
import type { Sandbox } from './sandbox.ts';
import { CLEAN_ENV, runChecked } from './run.ts';

export const LAB_BIN_DIR = '/run/nslab-bin';

/** PATH for commands a person runs in a lab (terminals, `nslab exec`). Never for the server's own reads. */
export const LAB_PATH = `${LAB_BIN_DIR}:${CLEAN_ENV.PATH}`;

/**
 * sudo for a lab where everyone is root: runs its command. Options that only matter to a real sudo
 * (-E, -H, -n, -S, -k, -P...) are accepted and change nothing; -u/-g take root only, since a lab has
 * no other users; -i starts in root's home; -s and -i without a command start a shell.
 */
// Not String.raw: the bash needs ${...}, escaped here as \${...}.
export const SUDO_SHIM = `#!/bin/bash
# nslab: this lab's shell is root already, so sudo just runs the command.
# Other users do not exist in an nslab lab: -u and -g accept root (or 0) only.
usage() {
  echo 'usage: sudo [-EHknSbis] [-u root] [-g root] [-D dir] [VAR=value]... [command [arg...]]' >&2
  echo '(nslab: the lab shell is already root; sudo runs the command as it is)' >&2
}
root_only() {
  case $2 in
    root|0|'#0') return 0 ;;
    '') echo "sudo: option $1 needs a value" >&2; usage; exit 1 ;;
    *) echo "sudo: $2: nslab labs have only root (your shell already runs as root); running as another user or group is not supported" >&2; exit 1 ;;
  esac
}
login= shell= background= dir=
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    -u|--user|-g|--group) root_only "$1" "$2"; shift 2; continue ;;
    --user=*|--group=*) root_only "\${1%%=*}" "\${1#*=}" ;;
    -u?*|-g?*) root_only "\${1:0:2}" "\${1:2}" ;;
    -D|--chdir) [ $# -ge 2 ] && [ -n "$2" ] || { echo "sudo: option $1 needs a directory" >&2; exit 1; }; dir=$2; shift 2; continue ;;
    --chdir=*) dir=\${1#*=} ;;
    -p|--prompt|-C|--close-from|-r|--role|-t|--type|-T|--command-timeout|-U|--other-user)
      [ $# -ge 2 ] || { echo "sudo: option $1 needs a value" >&2; exit 1; }; shift 2; continue ;;
    --prompt=*|--close-from=*|--role=*|--type=*|--command-timeout=*|--other-user=*) ;;
    -E|--preserve-env|--preserve-env=*|-H|--set-home|-n|--non-interactive|-S|--stdin|-k|--reset-timestamp|-P|--preserve-groups|-A|--askpass|-B|--bell) ;;
    -i|--login) login=1 ;;
    -s|--shell) shell=1 ;;
    -b|--background) background=1 ;;
    -v|--validate|-K|--remove-timestamp) exit 0 ;;
    -l|--list) echo 'User root may run the following commands in this nslab lab:'; echo '    (ALL : ALL) ALL'; exit 0 ;;
    -V|--version) echo 'sudo (nslab lab shim: runs the command as root, which the lab shell already is)'; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    -[A-Za-z]?*)
      # Grouped flags (-Es, -iu root): one at a time.
      flags=\${1#-}; shift
      split=()
      while [ -n "$flags" ]; do split+=("-\${flags:0:1}"); flags=\${flags:1}; done
      set -- "\${split[@]}" "$@"
      continue ;;
    -*) echo "sudo: unknown option $1" >&2; usage; exit 1 ;;
    *) break ;;
  esac
  shift
done
while [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do export "$1"; shift; done
if [ -n "$login" ]; then
  export HOME=/root
  cd "$HOME" || exit 1
fi
if [ -n "$dir" ]; then cd "$dir" || exit 1; fi
if [ $# -eq 0 ]; then
  if [ -n "$login$shell" ]; then
    # Commands from a pipe are read as a script; a terminal gets an interactive shell. The lab's
    # shells start with --norc (their prompt names the node); a ~/.bashrc the learner wrote counts.
    [ -t 0 ] || exec bash --norc -s
    if [ -r "$HOME/.bashrc" ]; then exec bash --rcfile "$HOME/.bashrc" -i; fi
    exec bash --norc -i
  fi
  usage
  exit 1
fi
case $1 in
  */*) ;;
  *) type -P -- "$1" >/dev/null || { echo "sudo: $1: command not found" >&2; exit 1; } ;;
esac
if [ -n "$background" ]; then "$@" & exit 0; fi
exec "$@"
`;

// Fixed text run by the lab's root inside the sandbox: the file is written under a temporary name
// and renamed, so a shell never finds half a script.
const WRITE_FILE =
  'my ($d, $n, $t) = @ARGV; -d $d or mkdir($d, 0755) or die "nslab: $d: $!\\n";' +
  'open(my $f, ">", "$d/.$n.new") or die "nslab: $d/$n: $!\\n"; print $f $t; close($f) or die "nslab: $d/$n: $!\\n";' +
  'chmod(0755, "$d/.$n.new") && rename("$d/.$n.new", "$d/$n") or die "nslab: $d/$n: $!\\n";';

/** Put the lab-only commands in the lab's /run (one process, as the lab's root, inside the sandbox). */
export async function installLabBin(sb: Sandbox): Promise<void> {
  await runChecked(sb.enter(['perl', '-e', WRITE_FILE, LAB_BIN_DIR, 'sudo', SUDO_SHIM]), { timeoutMs: 10_000 });
}
