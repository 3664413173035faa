import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { API_KEY_TYPES, type ApiKeyType } from './api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Production Web SDK', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  // With the u flag a surrogate range matches only unpaired halves; real pairs are one code point.
  @Matches(/^[^\p{Cc}\uD800-\uDFFF]*$/u, {
    message: 'name must not contain control characters or unpaired surrogates',
  })
  name: string;

  @ApiProperty({ enum: API_KEY_TYPES })
  @IsIn(API_KEY_TYPES)
  key_type: ApiKeyType;
}
