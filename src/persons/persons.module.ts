import { Module } from '@nestjs/common';
import { IdentityResolverService } from './identity-resolver.service';
import { PersonsController } from './persons.controller';
import { PersonsService } from './persons.service';

@Module({
  controllers: [PersonsController],
  providers: [IdentityResolverService, PersonsService],
  exports: [IdentityResolverService, PersonsService],
})
export class PersonsModule {}
