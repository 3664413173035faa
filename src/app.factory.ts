import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type pino from 'pino';
import type { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { ingestionCors } from './capture/ingestion-cors.middleware';
import { ApiExceptionFilter } from './common/api-exception.filter';
import type { AppConfig } from './config/app-config';
import { PinoNestLogger } from './logging/nest-logger';
import { requestLog } from './logging/request-log';
import { createRootLogger } from './logging/root-logger';

/**
 * Builds the HTTP application on an open DataSource. main.ts and the tests both call this, so
 * the app under test is the app that ships.
 */
export async function createApp(
  config: AppConfig,
  dataSource: DataSource,
  logger: pino.Logger = createRootLogger(config),
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.create(config, dataSource),
    {
      // Bodies are read by our own parser: it handles gzip, beacons and the decoded-size limits.
      bodyParser: false,
      logger: new PinoNestLogger(logger),
    },
  );

  app.use(requestLog(logger));
  // Before routing, so that preflight requests to ingestion routes are answered, not 404s.
  app.use(ingestionCors);
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // An ETag is a hash of every answer's body, and nothing here is fetched conditionally.
  app.set('etag', false);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Loom Analytics')
      .setDescription('Self-hostable product analytics: ingestion, identity and queries')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);

  return app;
}
