import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Allow } from 'class-validator';

// The body of create and update. Fields are only whitelisted here (unknown ones are a 400 from
// the global pipe); their rules span fields and types (a variant is a string or an object, a
// window is seconds or "7d"), so parseExperimentDefinition checks them together.
export class CreateExperimentDto {
  @ApiProperty({ example: 'New checkout flow', maxLength: 200 })
  @Allow()
  name: unknown;

  @ApiProperty({ example: 'checkout.new_flow', maxLength: 200 })
  @Allow()
  flag_key: unknown;

  @ApiProperty({
    example: [
      { key: 'control', weight: 50 },
      { key: 'treatment_a', weight: 50 },
    ],
    description: '2-20 variants: keys, or {key, weight?} objects (weights for all or none)',
  })
  @Allow()
  variants: unknown;

  @ApiProperty({ example: 'control' })
  @Allow()
  control_variant: unknown;

  @ApiProperty({ example: 'checkout_completed' })
  @Allow()
  conversion_event: unknown;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z', nullable: true })
  @Allow()
  start_at?: unknown;

  @ApiPropertyOptional({ example: '2026-02-01T00:00:00Z', nullable: true })
  @Allow()
  end_at?: unknown;

  @ApiPropertyOptional({ example: '7d', description: 'seconds, or a count with s, m, h or d' })
  @Allow()
  conversion_window?: unknown;
}

export class UpdateExperimentDto extends PartialType(CreateExperimentDto) {}
