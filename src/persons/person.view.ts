import { toPublicId } from '../common/public-id';

export interface PersonRow {
  id: string;
  properties: Record<string, unknown>;
  is_identified: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface PersonView {
  id: string;
  properties: Record<string, unknown>;
  is_identified: boolean;
  created_at: string;
  updated_at: string;
}

export function toPersonView(row: PersonRow): PersonView {
  return {
    id: toPublicId('per', row.id),
    properties: row.properties,
    is_identified: row.is_identified,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}
