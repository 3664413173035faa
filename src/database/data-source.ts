import { DataSource } from 'typeorm';
import { ApiKey } from '../api-keys/api-key.entity';
import { AnalyticsEvent } from '../events/event.entity';
import { Experiment } from '../experiments/experiment.entity';
import { Org } from '../orgs/org.entity';
import { OrgMember } from '../orgs/org-member.entity';
import { User } from '../orgs/user.entity';
import { UserToken } from '../orgs/user-token.entity';
import { Person } from '../persons/person.entity';
import { PersonIdentity } from '../persons/person-identity.entity';
import { InitialSchema1764806400000 } from './migrations/1764806400000-initial-schema';
import { ExperimentResultsIndexes1764892800000 } from './migrations/1764892800000-experiment-results-indexes';

export const ENTITIES = [
  Org,
  User,
  OrgMember,
  UserToken,
  ApiKey,
  Person,
  PersonIdentity,
  AnalyticsEvent,
  Experiment,
];

export const MIGRATIONS = [InitialSchema1764806400000, ExperimentResultsIndexes1764892800000];

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize },
  });
}

/** Opens the pool and brings the schema up to date; migrations run under an advisory lock. */
export async function openDatabase(url: string, poolSize = 10): Promise<DataSource> {
  const dataSource = createDataSource(url, poolSize);
  await dataSource.initialize();
  await runMigrationsExclusively(dataSource);
  return dataSource;
}

// Two replicas booting at once must not both apply the same migration.
const MIGRATION_LOCK_KEY = 7_461_100;

async function runMigrationsExclusively(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await runner.release();
  }
}
