import { Global, Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrgsModule } from '../orgs/orgs.module';
import { CredentialResolver } from './credential-resolver';
import { ScopeGuard } from './scope.guard';

// Global: every module with a guarded route needs the guard's resolver.
@Global()
@Module({
  imports: [ApiKeysModule, OrgsModule],
  providers: [CredentialResolver, ScopeGuard],
  exports: [CredentialResolver, ScopeGuard],
})
export class AuthModule {}
