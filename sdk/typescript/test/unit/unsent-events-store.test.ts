import { MemoryStore } from '@/browser/persistence/key-value-store';
import { UnsentEventsStore } from '@/browser/unsent-events-store';
import { buildEvent } from '@/core/event-factory';

function events(count: number) {
  return Array.from({ length: count }, (_, i) => buildEvent('clicked', 'anon', { i }));
}

describe(UnsentEventsStore.name, () => {
  it('keeps appended events for the next page, once each, and forgets them when taken', () => {
    const storage = new MemoryStore();
    const [a, b, c] = events(3);

    new UnsentEventsStore(storage, 'unsent', 100).append([a, b]);
    new UnsentEventsStore(storage, 'unsent', 100).append([b, c]);
    const next = new UnsentEventsStore(storage, 'unsent', 100);

    expect(next.takeAll()).toEqual([a, b, c]);
    expect(next.takeAll()).toEqual([]);
  });

  it('keeps at most maxEvents, oldest first', () => {
    const sut = new UnsentEventsStore(new MemoryStore(), 'unsent', 2);
    const captured = events(3);

    sut.append(captured);

    expect(sut.takeAll()).toEqual(captured.slice(0, 2));
  });

  it('ignores stored garbage rather than sending it', () => {
    const storage = new MemoryStore();
    const [good] = events(1);
    storage.set('unsent', JSON.stringify([{ event: 'x' }, null, 7, good]));

    expect(new UnsentEventsStore(storage, 'unsent', 10).takeAll()).toEqual([good]);
    storage.set('unsent', '{not json');
    expect(new UnsentEventsStore(storage, 'unsent', 10).takeAll()).toEqual([]);
  });
});
