import {
  applyDecorators,
  createParamDecorator,
  ExecutionContext,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal, Scope } from './principal';
import { AuthenticatedRequest, SCOPE_METADATA, ScopeGuard } from './scope.guard';

/** States the scope a route needs; authentication and the scope check follow from it. */
export function RequireScope(scope: Scope): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(SCOPE_METADATA, scope),
    UseGuards(ScopeGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked credential' }),
    ApiForbiddenResponse({ description: 'Credential lacks the scope this route needs' }),
  );
}

/** The authenticated caller, as the ScopeGuard resolved it. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
