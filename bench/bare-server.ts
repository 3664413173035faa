import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  MiddlewareConsumer,
  Module,
  NestModule,
  Post,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { normalizeEvent } from '../src/capture/event-normalizer';
import { parseRequestBody } from '../src/capture/request-body.parser';

/**
 * The framework's ceiling for benchmark (a): the same Nest + Express stack and the same body
 * parsing and validation as POST /capture, but no credential lookup and no database.
 */
@Controller()
class BareCaptureController {
  @Post('capture')
  @HttpCode(200)
  capture(@Body() body: unknown) {
    const outcome = normalizeEvent(body, {
      orgId: 'bench',
      receivedAt: new Date(),
      sentAt: undefined,
      ipAddress: null,
      userAgent: null,
    });
    return outcome.ok ? { accepted: 1, rejected: [] } : { accepted: 0, rejected: [outcome] };
  }
}

@Module({ controllers: [BareCaptureController] })
class BareModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(parseRequestBody).forRoutes('*');
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { bodyParser: false, logger: false });
  await app.listen(Number(process.env.PORT ?? 3999), '127.0.0.1');
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
