import { Module } from '@nestjs/common';
import { PersonsModule } from '../persons/persons.module';
import { CaptureController } from './capture.controller';
import { PosthogCompatController } from './posthog-compat.controller';
import { CaptureService } from './capture.service';
import { EventWriteListeners } from './event-write-listeners';
import { EventWriterService } from './event-writer.service';

@Module({
  imports: [PersonsModule],
  controllers: [CaptureController, PosthogCompatController],
  providers: [CaptureService, EventWriterService, EventWriteListeners],
  exports: [CaptureService, EventWriteListeners],
})
export class CaptureModule {}
