import { Module } from '@nestjs/common';
import { BootstrapService } from './bootstrap.service';
import { OrgsController } from './orgs.controller';
import { OrgsService } from './orgs.service';

@Module({
  controllers: [OrgsController],
  providers: [OrgsService, BootstrapService],
  exports: [OrgsService],
})
export class OrgsModule {}
