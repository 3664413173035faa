import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { API_KEY_TYPES, type ApiKeyType } from './api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Production Web SDK', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: API_KEY_TYPES })
  @IsIn(API_KEY_TYPES)
  key_type: ApiKeyType;
}
