import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { openDatabase } from '../database/data-source';
import { attachOrStartEmbeddedPostgres, EmbeddedDatabase } from '../database/embedded-postgres';
import { ORG_ROLES, type OrgRole } from '../orgs/org-member.entity';
import { OrgsService } from '../orgs/orgs.service';
import { parsePublicId, toPublicId } from '../common/public-id';

const USAGE = `Usage: npm run cli -- <command> [arguments]

  orgs:list                                 list orgs
  orgs:create <name>                        create an org
  users:add <org_id> <email> [role]         add a user to an org (role: owner, admin, member;
                                            default admin)
  tokens:create <org_id> <email> [name]     issue a user token (printed once)

Connects to DATABASE_URL, or to the embedded Postgres in LOOM_DATA_DIR (default ./.loom).`;

type Command = (orgs: OrgsService, args: string[]) => Promise<void>;

const COMMANDS: Record<string, Command> = {
  'orgs:list': async (orgs) => {
    for (const org of await orgs.listOrgs()) {
      print(`${toPublicId('org', org.id)}\t${org.name}\t${org.createdAt.toISOString()}`);
    }
  },
  'orgs:create': async (orgs, [name]) => {
    requireArgument(name, 'name');
    const org = await orgs.createOrg(name);
    print(toPublicId('org', org.id));
  },
  'users:add': async (orgs, [orgId, email, role = 'admin']) => {
    const org = await orgs.findOrg(requireOrgId(orgId));
    requireArgument(email, 'email');
    if (!(ORG_ROLES as readonly string[]).includes(role)) {
      throw new Error(`role must be one of ${ORG_ROLES.join(', ')}`);
    }
    const user = await orgs.addMember(org.id, email, role as OrgRole);
    print(`${toPublicId('usr', user.id)}\t${email}\t${role}`);
  },
  'tokens:create': async (orgs, [orgId, email, name = 'cli token']) => {
    const org = await orgs.findOrg(requireOrgId(orgId));
    requireArgument(email, 'email');
    const member = await orgs.findMember(org.id, email);
    if (!member) {
      throw new Error(`${email} is not a member of ${orgId}; add them with users:add first`);
    }
    const { secret } = await orgs.issueUserToken({ orgId: org.id, userId: member.userId }, name);
    print(secret);
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    process.stderr.write(`${USAGE}\n`);
    return name === undefined || name === '--help' ? 0 : 2;
  }

  // The CLI's output is its answer; service log lines would only get in the way of scripts.
  Logger.overrideLogger(false);
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (url === undefined) {
    embedded = await attachOrStartEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      log: () => undefined,
    });
    url = embedded.url;
  }

  let dataSource: DataSource | undefined;
  try {
    dataSource = await openDatabase(url, 2);
    await command(new OrgsService(dataSource), args);
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await dataSource?.destroy();
    await embedded?.stop();
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function requireArgument(value: string | undefined, name: string): asserts value is string {
  if (value === undefined || value.trim() === '') {
    throw new Error(`missing <${name}>\n\n${USAGE}`);
  }
}

function requireOrgId(value: string | undefined): string {
  requireArgument(value, 'org_id');
  const id = parsePublicId('org', value);
  if (!id) {
    throw new Error(`org_id must look like org_…, got "${value}"`);
  }
  return id;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
