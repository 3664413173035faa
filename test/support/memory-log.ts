import pino from 'pino';
import { Writable } from 'node:stream';

/** A pino logger whose output is kept in memory, one written chunk per entry of `written`. */
export function memoryLogger(level: pino.LevelWithSilent): {
  logger: pino.Logger;
  written: string[];
} {
  const written: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, sink), written };
}
