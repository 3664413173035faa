import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrgsModule } from '../orgs/orgs.module';
import { CredentialStrategy } from './credential.strategy';
import { ScopeGuard } from './scope.guard';

@Module({
  imports: [PassportModule, ApiKeysModule, OrgsModule],
  providers: [CredentialStrategy, ScopeGuard],
  exports: [PassportModule, ScopeGuard],
})
export class AuthModule {}
