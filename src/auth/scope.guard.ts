import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiError } from '../common/api-error';
import { principalHasScope, Principal, Scope } from './principal';

export const SCOPE_METADATA = 'loom:scope';

const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  capture: 'an API key',
  query: 'a read/write API key',
  manage: 'the token of an org owner or admin',
};

@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<Scope>(SCOPE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!principal) {
      throw ApiError.unauthorized();
    }
    if (!principalHasScope(principal, scope)) {
      throw ApiError.forbidden(`This route needs ${SCOPE_DESCRIPTIONS[scope]}`);
    }
    return true;
  }
}
