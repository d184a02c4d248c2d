#!/usr/bin/env -S node --import tsx
// `nslab` command line: thin layer over @nslab/model (pure) and @nslab/driver (the kernel).
import { runCli } from './cli.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
