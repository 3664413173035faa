import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventsQueryService } from './events-query.service';

@Module({
  controllers: [EventsController],
  providers: [EventsQueryService],
  exports: [EventsQueryService],
})
export class EventsModule {}
