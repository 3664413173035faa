import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { CaptureModule } from './capture/capture.module';
import { parseRequestBody } from './capture/request-body.parser';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { ExperimentsModule } from './experiments/experiments.module';
import { HealthModule } from './health/health.module';
import { OrgsModule } from './orgs/orgs.module';
import { PersonsModule } from './persons/persons.module';

@Module({})
export class AppModule implements NestModule {
  static create(config: AppConfig, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forDataSource(dataSource),
        ConfigHolderModule.create(config),
        AuthModule,
        OrgsModule,
        ApiKeysModule,
        PersonsModule,
        EventsModule,
        CaptureModule,
        ExperimentsModule,
        HealthModule,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(parseRequestBody).forRoutes('*');
  }
}

@Module({})
class ConfigHolderModule {
  static create(config: AppConfig): DynamicModule {
    return {
      module: ConfigHolderModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
