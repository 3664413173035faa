import { Module } from '@nestjs/common';
import { CaptureModule } from '../capture/capture.module';
import { ExperimentResultsService } from './experiment-results.service';
import { ExperimentsController } from './experiments.controller';
import { ExperimentsService } from './experiments.service';
import { ExposureLogWriter } from './exposure-log.writer';

// Experiments read exposures and events; capture writes exposures through ExposureLogWriter,
// which registers itself with capture's write listeners at start-up (capture never imports us).
@Module({
  imports: [CaptureModule],
  controllers: [ExperimentsController],
  providers: [ExperimentsService, ExperimentResultsService, ExposureLogWriter],
})
export class ExperimentsModule {}
