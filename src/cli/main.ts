#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { serveCommand } from './serve-command.js';
import { adminCommand } from './admin-command.js';
import { advisoriesCommand } from './advisories-command.js';
import { hostsCommand } from './hosts-command.js';
import { productVersion } from '../api/console.js';

const program = new Command('patchwarden')
  .description('patchwarden: self-hosted patch management console')
  .version(productVersion())
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(adminCommand())
  .addCommand(hostsCommand())
  .addCommand(advisoriesCommand());

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`patchwarden: ${(error as Error).message}\n`);
  process.exit(1);
}
