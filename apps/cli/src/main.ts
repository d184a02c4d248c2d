#!/usr/bin/env -S node --import tsx
// `nslab` command line: thin layer over @nslab/model (pure) and @nslab/driver (the kernel).
import { runCli } from './cli.ts';

// `nslab list | head`: a reader that goes away is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  proc: process,
});
